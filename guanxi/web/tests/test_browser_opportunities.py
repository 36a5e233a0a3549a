"""End-to-end: dragging deals across the kanban board; a refused move snaps back."""

from decimal import Decimal

import pytest
from playwright.sync_api import expect

from guanxi.core.tests.factories import UserFactory, grant
from guanxi.sales.models import Opportunity
from guanxi.sales.tests.factories import OpportunityFactory, PipelineFactory
from guanxi.web.tests.test_browser import log_in

pytestmark = pytest.mark.browser


@pytest.fixture
def board_data():
    rep = UserFactory(username="li.na")
    grant(rep, "opportunity", scope="own")
    pipeline = PipelineFactory()
    stages = {stage.name_en: stage for stage in pipeline.stages.all()}
    deal = OpportunityFactory(
        owner=rep, pipeline=pipeline, name="智能仓储二期", amount=Decimal("200000.00")
    )
    OpportunityFactory(
        owner=rep,
        pipeline=pipeline,
        stage=stages["Proposal"],
        probability=60,
        amount=Decimal("50000.00"),
    )
    return rep, pipeline, stages, deal


def drag(page, card, column):
    """Drag a card onto a column with real mouse moves, as SortableJS listens for them."""
    source = card.bounding_box()
    target = column.bounding_box()
    page.mouse.move(source["x"] + source["width"] / 2, source["y"] + 20)
    page.mouse.down()
    for step in range(1, 11):
        page.mouse.move(
            source["x"] + (target["x"] + target["width"] / 2 - source["x"]) * step / 10,
            source["y"] + (target["y"] + 40 - source["y"]) * step / 10,
        )
        page.wait_for_timeout(30)
    page.mouse.up()


def test_drag_a_deal_to_the_next_stage_and_see_the_totals_change(page, live_server, board_data):
    _rep, pipeline, stages, deal = board_data
    log_in(page, live_server, "li.na")
    page.goto(f"{live_server.url}/opportunities/board/?pipeline={pipeline.pk}")
    proposal = stages["Proposal"]
    expect(page.get_by_test_id(f"count-{proposal.pk}")).to_have_text("1")
    expect(page.get_by_test_id(f"amount-{proposal.pk}")).to_have_text("¥50,000.00")

    drag(
        page,
        page.get_by_test_id(f"card-{deal.pk}"),
        page.get_by_test_id(f"column-{proposal.pk}").locator(".board-cards"),
    )

    expect(page.get_by_test_id(f"count-{proposal.pk}")).to_have_text("2")
    expect(page.get_by_test_id(f"amount-{proposal.pk}")).to_have_text("¥250,000.00")
    expect(page.get_by_test_id(f"weighted-{proposal.pk}")).to_have_text("¥150,000.00")
    expect(page.get_by_test_id(f"count-{stages['Prospecting'].pk}")).to_have_text("0")
    deal.refresh_from_db()
    assert (deal.stage, deal.probability, deal.version) == (proposal, 60, 2)

    # The keyboard way: the card's "Move to…" menu.
    page.get_by_test_id(f"move-menu-{deal.pk}").click()
    page.get_by_test_id(f"card-{deal.pk}").get_by_test_id(
        f"move-{stages['Negotiation'].pk}"
    ).click()
    expect(page.get_by_test_id(f"count-{stages['Negotiation'].pk}")).to_have_text("1")
    expect(
        page.get_by_test_id(f"column-{stages['Negotiation'].pk}").get_by_test_id(f"card-{deal.pk}")
    ).to_be_visible()
    deal.refresh_from_db()
    assert (deal.stage.name_en, deal.version) == ("Negotiation", 3)


def test_a_move_refused_for_a_required_field_snaps_back_with_the_reason(
    new_page, live_server, board_data
):
    rep, pipeline, stages, deal = board_data
    negotiation = stages["Negotiation"]
    negotiation.required_fields = ["next_step"]
    negotiation.save()
    rep.language = "zh-hans"
    rep.save()
    page = new_page("zh-CN")
    log_in(page, live_server, "li.na")
    page.goto(f"{live_server.url}/opportunities/board/?pipeline={pipeline.pk}")

    drag(
        page,
        page.get_by_test_id(f"card-{deal.pk}"),
        page.get_by_test_id(f"column-{negotiation.pk}").locator(".board-cards"),
    )

    expect(page.get_by_test_id("board-message")).to_have_text(
        "请先填写下一步，再把商机移到“谈判审核”。"
    )
    expect(
        page.get_by_test_id(f"column-{stages['Prospecting'].pk}").get_by_test_id(f"card-{deal.pk}")
    ).to_be_visible()
    expect(page.get_by_test_id(f"count-{negotiation.pk}")).to_have_text("0")
    assert Opportunity.objects.get(pk=deal.pk).stage.name_en == "Prospecting"

    # Closing as lost asks why; cancelling puts the card back too.
    lost = stages["Lost"]
    page.get_by_test_id(f"move-menu-{deal.pk}").click()
    page.get_by_test_id(f"card-{deal.pk}").get_by_test_id(f"move-{lost.pk}").click()
    dialog = page.get_by_test_id("lost-dialog")
    expect(dialog).to_be_visible()
    dialog.locator("select").select_option("price")
    page.get_by_test_id("lost-confirm").click()
    expect(page.get_by_test_id(f"count-{lost.pk}")).to_have_text("1")
    deal.refresh_from_db()
    assert (deal.stage, deal.close_reason, deal.probability) == (lost, "price", 0)
