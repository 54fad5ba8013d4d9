"""The demo's ranking: the 2023 and 2024 index of Hanoi's 30 districts on digital
transformation and innovation, computed from the indicators they report under Programme 07.

The framework is illustrative (the committee asked for such a ranking; its composition is ours):
two pillars of three indicators each, equal weights, COINr's default method.
"""

from django.db import transaction
from django.utils import timezone

from steer.accounts.models import User
from steer.programmes.models import Programme
from steer.ranking.models import Framework, Node
from steer.units.models import UnitType

CODE = "cds-dmst-cap-huyen"
NAME = "Chỉ số chuyển đổi số và đổi mới sáng tạo cấp huyện"
METHODOLOGY = (
    "Xếp hạng 30 quận, huyện, thị xã theo kết quả thực hiện Chương trình 07-CTr/TU, từ số liệu "
    "các đơn vị đã báo cáo và được phê duyệt (không nhập lại). Hai trụ cột có trọng số bằng "
    "nhau: Chuyển đổi số (tỷ lệ thủ tục có dịch vụ công trực tuyến; doanh nghiệp được hỗ trợ "
    "chuyển đổi số, chỉ tiêu của các quận) và Đổi mới sáng tạo (sản phẩm OCOP, tỷ lệ OCOP được "
    "bảo hộ sở hữu trí tuệ, sáng kiến được công nhận; mô hình nông nghiệp công nghệ cao, chỉ tiêu "
    "của các huyện, thị xã). Mỗi đơn vị được đánh giá trên các chỉ tiêu giao cho nó, trọng số "
    "chia lại trên các chỉ tiêu đó. Tỷ lệ văn bản xử lý trên hệ thống và tỷ lệ áp dụng ISO không "
    "được đưa vào vì mọi đơn vị đều đạt 100 %, không phân biệt được. Phương pháp theo Sổ tay "
    "chỉ số tổng hợp của OECD/JRC (như COINr): xử lý giá trị "
    "ngoại lai khi độ lệch và độ nhọn cùng vượt ngưỡng (2 và 3,5) bằng winsor hóa tối đa 5 điểm, "
    "chuẩn hóa min-max về thang 0-100 (chỉ tiêu càng thấp càng tốt được đảo chiều), bình quân "
    "số học có trọng số. Khoảng thứ hạng là phân vị 5-95 của 1.000 lần mô phỏng khi trọng số "
    "dao động ±25 %, phương pháp chuẩn hóa và phương pháp tổng hợp thay đổi."
)
PILLARS = [
    ("CDS", "Chuyển đổi số", ["CT18", "CT07"]),
    ("DMST", "Đổi mới sáng tạo", ["CT15", "CT16", "CT30", "CT10"]),
]
OPTIONS = {"winmax": 5}
YEARS = (2023, 2024)


def load_rankings(programme: Programme) -> int:
    """Create the demo frameworks unless there; return how many there are."""
    agency = User.objects.get(username="thuongtruc")
    types = UnitType.objects.filter(code__in=["urban_district", "rural_district", "town"])
    indicators = {i.code: i for i in programme.indicators.all()}
    with transaction.atomic():
        for year in YEARS:
            framework, created = Framework.objects.get_or_create(
                programme=programme,
                code=CODE,
                year=year,
                defaults={
                    "name": NAME,
                    "methodology": METHODOLOGY,
                    "options": OPTIONS,
                    "frozen_at": timezone.now(),
                    "frozen_by": agency,
                    "is_illustrative": True,
                },
            )
            if not created:
                continue
            framework.unit_types.set(types)
            Node.objects.create(
                framework=framework, code="CHISO", name=NAME, kind="Aggregate", level=3
            )
            for p, (code, name, members) in enumerate(PILLARS):
                Node.objects.create(
                    framework=framework,
                    code=code,
                    name=name,
                    kind="Aggregate",
                    level=2,
                    parent="CHISO",
                    order=p,
                )
                for order, member in enumerate(members):
                    indicator = indicators[member]
                    Node.objects.create(
                        framework=framework,
                        code=member,
                        name=indicator.name,
                        kind="Indicator",
                        level=1,
                        parent=code,
                        direction=1 if indicator.direction == "higher" else -1,
                        indicator=indicator,
                        order=order,
                    )
    return Framework.objects.filter(programme=programme, code=CODE).count()
