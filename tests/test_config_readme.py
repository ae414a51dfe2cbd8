"""config/README.md is rendered from config/schema.yaml (and the shared part of a method section,
weightmem.config.SHARED_SECTION): every key there carries a description, and the committed page
is exactly what the generator writes now."""
import yaml
from weightmem.config import README_COMMAND, SHARED_SECTION, markdown


def undescribed(node, path: str) -> list[str]:
    """Keys (properties and entries of a mapping, at every level, in every if/then or
    oneOf/anyOf/allOf branch) without a non-empty description. ``if`` clauses only test a value,
    so they hold no keys."""
    if not isinstance(node, dict):
        return []
    out = []
    for key, sub in node.get("properties", {}).items():
        where = f"{path}.{key}" if path else key
        if not str(sub.get("description", "")).strip():
            out.append(where)
        out += undescribed(sub, where)
    extra = node.get("additionalProperties")
    if isinstance(extra, dict):
        where = f"{path}.<name>" if path else "<name>"
        if not str(extra.get("description", "")).strip():
            out.append(where)
        out += undescribed(extra, where)
    for kind in ("allOf", "anyOf", "oneOf"):
        for branch in node.get(kind, []):
            out += undescribed(branch, path)
    for kind in ("then", "else", "items"):
        out += undescribed(node.get(kind), path)
    return out


def count_keys(node) -> int:
    if not isinstance(node, dict):
        return 0
    n = sum(1 + count_keys(sub) for sub in node.get("properties", {}).values())
    if isinstance(node.get("additionalProperties"), dict):
        n += 1 + count_keys(node["additionalProperties"])
    n += sum(count_keys(b) for k in ("allOf", "anyOf", "oneOf") for b in node.get(k, []))
    return n + sum(count_keys(node.get(k)) for k in ("then", "else", "items"))


def test_every_key_has_a_description(root, summary):
    schema = yaml.safe_load((root / "config" / "schema.yaml").read_text(encoding="utf-8"))
    missing = undescribed(schema, "") + undescribed(SHARED_SECTION, "<method>")
    assert not missing, "keys without a description: " + ", ".join(missing)
    summary.append(f"config/schema.yaml: {count_keys(schema)} keys described; "
                   f"SHARED_SECTION: {count_keys(SHARED_SECTION)}")


def test_the_walk_sees_branches_and_mappings():
    schema = {"properties": {"a": {"description": "x", "additionalProperties": {
        "allOf": [{"if": {"properties": {"s": {"const": 1}}},
                   "then": {"properties": {"deep": {"type": "integer"}}}}]}}}}
    assert undescribed(schema, "") == ["a.<name>", "a.<name>.deep"]


def test_readme_is_up_to_date(root):
    text = (root / "config" / "README.md").read_text(encoding="utf-8")
    assert text == markdown(root / "config" / "schema.yaml"), (
        f"config/README.md is out of date with config/schema.yaml; regenerate it: {README_COMMAND}")
