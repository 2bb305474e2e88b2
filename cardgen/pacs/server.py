"""The DICOMweb server: connection settings, and the one module that talks to dicomweb-client.

dicomweb-client (by the highdicom authors) does the QIDO-RS searches and WADO-RS retrievals; this
module gives it a requests session with the hospital's settings (credentials, CA bundle, proxy,
timeouts) and turns what can go wrong on the wire into a :class:`PullError` a person can act on.
Credentials are read from an environment variable or a file when the connection is opened; they
are never printed, logged or written anywhere.
"""

from __future__ import annotations

import contextlib
import enum
import os
from collections.abc import Iterator
from dataclasses import dataclass, field
from pathlib import Path

from cardgen.errors import CardgenError
from cardgen.weburl import web_address_problem

KOS_SOP_CLASS = "1.2.840.10008.5.1.4.1.1.88.59"


class PullError(CardgenError):
    """A pull cannot go on: the message says what happened and what to do."""


class TransferCut(PullError):
    """The connection broke during a retrieval: the case being written is dropped, the next pull
    retrieves it again."""


class AuthKind(str, enum.Enum):
    NONE = "none"
    BASIC = "basic"
    BEARER = "bearer"


@dataclass(frozen=True)
class Credentials:
    """Where a secret comes from (an environment variable or a file), never the secret itself."""

    kind: AuthKind = AuthKind.NONE
    user: str | None = None  # basic auth
    env: str | None = None
    file: Path | None = None

    def secret(self) -> str:
        if self.env:
            value = os.environ.get(self.env)
            if not value:
                raise PullError(f"the environment variable {self.env} holding the "
                                f"{'password' if self.kind is AuthKind.BASIC else 'token'} is not set; "
                                "export it first (it is read, never printed)")
            return value
        if self.file:
            try:
                value = self.file.read_text().strip()
            except OSError as error:
                raise PullError(f"{self.file}: cannot read the credentials file ({error.strerror})") from None
            if not value:
                raise PullError(f"{self.file}: the credentials file is empty")
            return value
        raise PullError("no secret given: name an environment variable or a file that holds it")


@dataclass(frozen=True)
class Connection:
    """How to reach a DICOMweb server (``url`` is its root, e.g. http://pacs:8042/dicom-web)."""

    url: str
    credentials: Credentials = field(default_factory=Credentials)
    ca_bundle: Path | None = None
    verify_tls: bool = True
    proxy: str | None = None
    connect_timeout: float = 10.0
    read_timeout: float = 60.0


def _check_url(url: str, *, what: str, option: str, example: str,
               schemes: tuple[str, ...] = ("http", "https")) -> None:
    """Refuse an address that is not a URL with a host (cardgen.weburl), before dicomweb-client turns
    it into a ValueError or a request to the wrong place."""
    problem = web_address_problem(url, schemes)
    if problem is not None:
        raise PullError(f"{url!r}: the {what}'s address {problem}; give {option} as, e.g., {example}")


class Server:
    """QIDO-RS searches and WADO-RS retrievals on one DICOMweb server."""

    def __init__(self, connection: Connection) -> None:
        import requests
        from dicomweb_client.api import DICOMwebClient

        self.connection = connection
        _check_url(connection.url, what="server", option="--server",
                   example="http://localhost:8042/dicom-web")
        if connection.proxy is not None:
            _check_url(connection.proxy, what="proxy", option="--proxy", example="http://proxy.example.org:3128",
                       schemes=("http", "https", "socks5", "socks5h", "socks4", "socks4a"))
        session = requests.Session()
        session.trust_env = connection.proxy is None  # an explicit proxy wins over HTTP(S)_PROXY
        if connection.ca_bundle is not None:
            if not connection.ca_bundle.is_file():
                raise PullError(f"{connection.ca_bundle}: no such CA bundle; give the PEM file of the "
                                "certificate authority that signed the server's certificate")
            session.verify = str(connection.ca_bundle)
        elif not connection.verify_tls:
            session.verify = False
        creds = connection.credentials
        headers = {}
        if creds.kind is AuthKind.BASIC:
            session.auth = (creds.user or "", creds.secret())
        elif creds.kind is AuthKind.BEARER:
            headers["Authorization"] = f"Bearer {creds.secret()}"
        proxies = {"http": connection.proxy, "https": connection.proxy} if connection.proxy else None
        self._client = DICOMwebClient(url=connection.url.rstrip("/"), session=session, headers=headers,
                                      proxies=proxies,
                                      timeout=(connection.connect_timeout, connection.read_timeout))
        self._client.set_http_retry_params(retry=False)  # a person reruns the pull; no silent minutes
        self._received_anything = False

    def search_instances(self, filters: dict[str, str], *, study: str | None = None) -> list[dict]:
        """QIDO-RS instance search; each result is a DICOM JSON mapping."""
        with self._talking("search"):
            return self._client.search_for_instances(study_instance_uid=study, search_filters=filters,
                                                     get_remaining=True)

    def retrieve(self, study: str, series: str, instance: str, *, what: str):
        """WADO-RS retrieval of one instance as a pydicom Dataset (kept in memory)."""
        with self._talking(what, instance=(study, series, instance)):
            return self._client.retrieve_instance(study, series, instance)

    @contextlib.contextmanager
    def _talking(self, what: str, instance: tuple[str, str, str] | None = None) -> Iterator[None]:
        import requests

        url = self.connection.url
        try:
            yield
        except requests.HTTPError as error:
            status = error.response.status_code if error.response is not None else 0
            if status == 401:
                raise PullError(f"{url}: the server refused the credentials (401 Unauthorized); check "
                                "--user and the password or token it reads") from None
            if status == 403:
                raise PullError(f"{url}: the account may not do this {what} (403 Forbidden); ask the PACS "
                                "administrator for DICOMweb query/retrieve rights") from None
            if status == 404 and instance is not None:
                raise MissingInstance(what, instance) from None
            if status == 404:
                raise PullError(f"{url}: no DICOMweb service there (404 Not Found); give the DICOMweb root, "
                                "e.g. http://host:8042/dicom-web for Orthanc") from None
            raise PullError(f"{url}: the server answered the {what} with HTTP {status}; see its log") from None
        except requests.exceptions.SSLError:
            raise PullError(f"{url}: TLS certificate not trusted; give --ca-bundle with the hospital's CA "
                            "certificate (or, on a test server only, --no-verify-tls)") from None
        except requests.exceptions.ProxyError:
            raise PullError(f"{self.connection.proxy}: the proxy refused or could not be reached; "
                            "check --proxy") from None
        except requests.exceptions.ConnectTimeout:
            raise PullError(f"{url}: no answer within {self.connection.connect_timeout:g} s; check the "
                            "address, the network, or raise --timeout") from None
        except (requests.exceptions.ChunkedEncodingError, requests.exceptions.ReadTimeout) as error:
            raise TransferCut(f"{url}: the transfer was cut during a {what} ({type(error).__name__}); "
                              "nothing half-written was kept, run the pull again to complete it") from None
        except requests.ConnectionError:
            if self._received_anything:
                raise TransferCut(f"{url}: the connection broke during a {what}; nothing half-written was "
                                  "kept, run the pull again to complete it") from None
            raise PullError(f"{url}: cannot reach the server; check the address and port, and that the "
                            "server is running") from None
        except ValueError as error:  # a multipart body that ends early, or a damaged DICOM part
            if instance is None:
                raise PullError(f"{url}: the server's answer to a {what} is not valid DICOMweb "
                                f"({error})") from None
            raise TransferCut(f"{url}: the {what} arrived incomplete or damaged; nothing half-written "
                              "was kept, run the pull again to complete it") from None
        self._received_anything = True


class MissingInstance(PullError):
    """The server has no such instance (404 on a retrieval)."""

    def __init__(self, what: str, instance: tuple[str, str, str]) -> None:
        self.instance = instance
        super().__init__(f"the server has no {what} with SOP Instance UID {instance[2]} "
                         f"(series {instance[1]})")


def credentials_from_options(user: str | None, password_env: str | None, password_file: Path | None,
                             token_env: str | None, token_file: Path | None) -> Credentials:
    """The credentials the command-line options name; at most one way of authenticating."""
    if user is not None and (token_env or token_file):
        raise PullError("give either --user (HTTP basic) or a token (--token-env/--token-file), not both")
    if token_env and token_file:
        raise PullError("give the token once: --token-env or --token-file")
    if token_env or token_file:
        return Credentials(AuthKind.BEARER, env=token_env, file=token_file)
    if user is not None:
        if password_file is not None:
            return Credentials(AuthKind.BASIC, user=user, file=password_file)
        return Credentials(AuthKind.BASIC, user=user, env=password_env)
    if password_file is not None:
        raise PullError("--password-file needs --user")
    return Credentials()
