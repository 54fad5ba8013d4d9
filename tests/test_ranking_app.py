"""Rankings in the app: frameworks fed by the programme's figures, no re-keying."""

import pytest

from steer.composite import CompositeError
from steer.demo.rankings import CODE
from steer.ranking.compute import compute
from steer.ranking.models import Framework, Node

pytestmark = pytest.mark.django_db


def test_the_demo_ranks_the_30_districts_in_2023_and_2024(programme):
    for year in (2023, 2024):
        ranking = compute(Framework.objects.get(programme=programme, code=CODE, year=year))
        assert len(ranking.data.units) == 30
        ranks = sorted(ranking.result.ranks().astype(int).tolist())
        assert ranks[0] == 1 and ranks[-1] <= 30


def test_the_ranking_reads_the_approved_figures_not_a_copy(programme):
    from steer.assessment.models import Figure

    framework = Framework.objects.get(programme=programme, code=CODE, year=2024)
    before = compute(framework)
    thuong_tin = before.data.units.index("279")
    Figure.objects.filter(indicator__code="CT30", unit__code="279", period="2024").update(value=0)
    after = compute(framework)
    assert after.result.scores()[thuong_tin] < before.result.scores()[thuong_tin]


def test_an_indicator_every_district_reports_the_same_is_refused_by_name(programme):
    framework = Framework.objects.get(programme=programme, code=CODE, year=2024)
    Node.objects.create(
        framework=framework,
        code="CT19",
        name="Văn bản xử lý trên hệ thống",
        kind="Indicator",
        level=1,
        parent="CDS",
        indicator=programme.indicators.get(code="CT19"),
    )
    with pytest.raises(CompositeError, match="CT19: every unit has the same value"):
        compute(framework)
