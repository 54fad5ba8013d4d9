"""The demo's drafts: the city's 6-month report for H1 2024, Đống Đa's own report for the same
half year, and the notice of the demo inspection's conclusions, each written from the data."""

from steer.accounts.models import User
from steer.documents import services
from steer.documents.models import Draft
from steer.steering.models import Inspection
from steer.units.models import OrgUnit


def load_documents(programme) -> int:
    """Drafts the demo starts with; run again, it keeps them as they are."""
    if Draft.objects.filter(programme=programme).exists():
        return Draft.objects.filter(programme=programme).count()
    standing = User.objects.get(username="thuongtruc")
    services.new_draft(programme, "synthesis", standing, period="2024S1")
    reporter = User.objects.get(username="baocao.dongda")
    services.new_draft(
        programme, "unit_report", reporter, period="2024S1", unit=OrgUnit.objects.get(code="006")
    )
    inspection = Inspection.objects.filter(programme=programme).order_by("pk").first()
    if inspection is not None:
        inspector = User.objects.get(username="kiemtra")
        services.new_draft(programme, "inspection_notice", inspector, inspection=inspection)
    return Draft.objects.filter(programme=programme).count()
