"""Turn a built PDF into the conformance failures a real validator (page-validation) finds."""

from __future__ import annotations

from pathlib import Path


def profiles_for(archive: bool) -> tuple[str, ...]:
    """What a pack claims: PDF/UA-1 always; an archive copy is PDF/A-3b as well."""
    return ("PDF_UA_1", "PDF_A_3B") if archive else ("PDF_UA_1",)


def conformance_failures(path: Path, archive: bool) -> list[str]:
    """Every rule the PDF breaks, as `PROFILE RULE-ID: message` (empty when it conforms)."""
    import page

    failures = []
    for profile in profiles_for(archive):
        report = page.validate_pdf(str(path), profile=getattr(page.ValidationProfile, profile))
        failures.extend(f"{profile} {failure.rule_id}: {failure.message}"
                        for failure in report.failures)
    return failures
