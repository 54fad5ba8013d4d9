"""The demo's drafts: the city's 6-month report for H1 2024, Đống Đa's own report for the same
half year, and the notice of the demo inspection's conclusions, each written from the data."""

from steer.accounts.models import User
from steer.documents import services
from steer.documents.models import Draft
from steer.programmes.models import Programme
from steer.steering.models import Inspection
from steer.units.models import OrgUnit


def load_documents(programme: Programme) -> int:
    """Drafts the demo starts with; run again, it keeps them as they are."""
    if Draft.objects.filter(programme=programme).exists():
        return Draft.objects.filter(programme=programme).count()
    standing = User.objects.get(username="thuongtruc")
    services.new_draft(user=standing, programme=programme, kind="synthesis", period="2024S1")
    reporter = User.objects.get(username="baocao.dongda")
    services.new_draft(
        user=reporter,
        programme=programme,
        kind="unit_report",
        period="2024S1",
        unit=OrgUnit.objects.get(code="006"),
    )
    inspection = Inspection.objects.filter(programme=programme).order_by("pk").first()
    if inspection is not None:
        inspector = User.objects.get(username="kiemtra")
        services.new_draft(
            user=inspector, programme=programme, kind="inspection_notice", inspection=inspection
        )
    return Draft.objects.filter(programme=programme).count()
