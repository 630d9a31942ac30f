"""Rule documentation (``docs/rules/<slug>.md``, ``iacscan rules SLUG``, SARIF help) from rule metadata."""

from __future__ import annotations

from iacscan.engine.catalog import Catalog, Rule


def rule_markdown(rule: Rule, catalog: Catalog) -> str:
    lines = [
        f"# {rule.slug} ({rule.id})",
        "",
        f"**Severity:** {rule.severity} · **Confidence:** {rule.confidence} · **Tags:** {', '.join(rule.tags)}",
        "",
        rule.summary,
        "",
        "## Why it matters",
        "",
        rule.description,
        "",
        "## How to fix",
        "",
        rule.remediation,
        "",
    ]
    if rule.example:
        lines += ["## Example", "", "```", rule.example, "```", ""]
    cats = tuple(rule.params.get("categories", ()))
    if cats:
        lines += ["## Services", ""]
        for s in catalog.services_in(cats):
            ports = ", ".join(s.ports.to_strings()) or "by image"
            imgs = f" — images {', '.join(s.images)}" if s.images else ""
            lines.append(f"- {s.name}: {ports}{imgs}")
        lines.append("")
    if rule.references:
        lines += ["## References", ""] + [f"- {r}" for r in rule.references] + [""]
    lines += [
        "## Suppressing",
        "",
        f"`# iacscan:ignore[{rule.slug}] reason` on or above the block, or an `ignore:` entry in `.iacscan.yml`.",
        "",
    ]
    return "\n".join(lines)
