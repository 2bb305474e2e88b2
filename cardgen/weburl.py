"""Web addresses a person types: a PACS's DICOMweb root, a proxy, the add-on's homepage."""

from __future__ import annotations

from urllib.parse import urlsplit


def web_address_problem(url: str, schemes: tuple[str, ...] = ("http", "https")) -> str | None:
    """Why ``url`` is not an address with a host that starts with one of ``schemes``, in words that
    follow "the address ..." (None when it is one). Libraries take such a value further and fail
    later, or worse: dicomweb-client raises ValueError("Malformed URL"); Anki's add-on manager hands a
    javascript: homepage to the learner's browser."""
    try:
        parts = urlsplit(url)
        parts.port  # noqa: B018: a port that is not a number from 0 to 65535 raises here
    except ValueError as error:
        return f"is not a URL ({error})"
    if url != url.strip() or parts.scheme not in schemes or not parts.hostname:
        return "must be a URL with a host, starting " + " or ".join(f"{scheme}://" for scheme in schemes)
    return None
