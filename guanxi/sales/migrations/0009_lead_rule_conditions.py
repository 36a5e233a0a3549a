"""Lead assignment rules state their conditions in the condition language of automation rules.

The territory, provinces / cities, sources and keywords of each rule become one condition
tree that means the same: all of the rule's conditions, each of which held when
- territory: the lead's territory is it, or its province or city is one of the
  territory's regions (the regions as they are now);
- provinces / cities: the lead's province or city is one of them;
- sources: the lead's source is one of them;
- keywords: one of them appears in the product interest or the description.
"""

from django.db import migrations, models


def _listed(raw: str) -> list[str]:
    return [part.strip().lower() for part in raw.replace("，", ",").split(",") if part.strip()]


def _place_rules(places: list[str]) -> list[dict]:
    return [
        {"field": "province", "op": "in", "value": places},
        {"field": "city", "op": "in", "value": places},
    ]


def legacy_tree(territory, provinces: str, sources: list, keywords: str) -> dict:
    """Return the condition tree that means what the rule's old condition fields meant."""
    rules: list[dict] = []
    if territory is not None:
        regions = [part.strip().lower() for part in territory.regions.splitlines() if part.strip()]
        either = [{"field": "territory", "op": "eq", "value": str(territory.pk)}]
        rules.append({"match": "any", "rules": either + (_place_rules(regions) if regions else [])})
    places = _listed(provinces or "")
    if places:
        rules.append({"match": "any", "rules": _place_rules(places)})
    if sources:
        rules.append({"field": "source", "op": "in", "value": [str(one) for one in sources]})
    words = _listed(keywords or "")
    if words:
        rules.append(
            {
                "match": "any",
                "rules": [
                    {"field": field, "op": "contains", "value": word}
                    for word in words
                    for field in ("product_interest", "description")
                ],
            }
        )
    return {"match": "all", "rules": rules}


def forwards(apps, schema_editor):
    Rule = apps.get_model("sales", "LeadAssignmentRule")
    for rule in Rule.objects.select_related("territory"):
        rule.conditions = legacy_tree(rule.territory, rule.provinces, rule.sources, rule.keywords)
        rule.save(update_fields=["conditions"])


def backwards(apps, schema_editor):
    """Keep what can be read back: sources and provinces / cities; the rest is lost."""
    Rule = apps.get_model("sales", "LeadAssignmentRule")
    for rule in Rule.objects.all():
        for item in (rule.conditions or {}).get("rules", []):
            if item.get("field") == "source" and item.get("op") == "in":
                rule.sources = item["value"]
            if item.get("rules") and {one.get("field") for one in item["rules"]} == {
                "province",
                "city",
            }:
                rule.provinces = ", ".join(item["rules"][0]["value"])
        rule.save(update_fields=["sources", "provinces"])


class Migration(migrations.Migration):
    dependencies = [
        ("core", "0001_initial"),
        ("sales", "0008_funnel_stage_time"),
    ]

    operations = [
        migrations.AddField(
            model_name="leadassignmentrule",
            name="conditions",
            field=models.JSONField(blank=True, default=dict, verbose_name="conditions"),
        ),
        migrations.RunPython(forwards, backwards),
        migrations.RemoveField(model_name="leadassignmentrule", name="keywords"),
        migrations.RemoveField(model_name="leadassignmentrule", name="provinces"),
        migrations.RemoveField(model_name="leadassignmentrule", name="sources"),
        migrations.RemoveField(model_name="leadassignmentrule", name="territory"),
    ]
