"""Teaching files from a PACS: find "For Teaching" KOS documents over DICOMweb, pull them de-identified
into case folders (IHE Teaching File and Clinical Trial Export, TCE)."""

from cardgen.pacs.deidentify import DateHandling
from cardgen.pacs.pull import DEFAULT_KOS_TITLE, PlannedCase, PullOptions, PullReport, pull_teaching_files
from cardgen.pacs.server import AuthKind, Connection, Credentials, PullError, TransferCut

__all__ = ["DEFAULT_KOS_TITLE", "AuthKind", "Connection", "Credentials", "DateHandling", "PlannedCase",
           "PullError", "PullOptions", "PullReport", "TransferCut", "pull_teaching_files"]
