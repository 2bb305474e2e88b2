"""De-identification: the PS3.15 Annex E attribute table, identifying values, burned-in rules, and
the deck audit."""

from cardgen.deid.audit import audit_package, require_clean_package
from cardgen.deid.findings import AuditFailed, AuditHit
from cardgen.deid.matcher import IdentifyingValue, ValueMatcher
from cardgen.deid.values import identifying_values, values_from_files

__all__ = ["AuditFailed", "AuditHit", "IdentifyingValue", "ValueMatcher", "audit_package",
           "identifying_values", "require_clean_package", "values_from_files"]
