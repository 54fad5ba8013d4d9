"""One demo account per role. Their passwords are public: they work only in demo mode."""

from dataclasses import dataclass

from django.db import transaction

from steer.accounts.models import Role, RoleGrant, User
from steer.programmes.models import Programme
from steer.units.models import OrgUnit

DEMO_PASSWORD = "demo-steer-07"


@dataclass(frozen=True)
class DemoUser:
    username: str
    full_name: str
    position: str
    unit: str | None
    role: Role


DEMO_USERS = [
    DemoUser("quantri", "Quản trị hệ thống", "Quản trị viên", "SKHCN", Role.ADMINISTRATOR),
    DemoUser(
        "thuongtruc",
        "Nguyễn Thu Hà",
        "Chuyên viên Sở Khoa học và Công nghệ",
        "SKHCN",
        Role.STANDING_AGENCY,
    ),
    DemoUser(
        "bancd",
        "Trần Minh Đức",
        "Thành viên Ban Chỉ đạo Chương trình 07-CTr/TU",
        "01",
        Role.STEERING_COMMITTEE,
    ),
    DemoUser(
        "baocao.dongda", "Lê Thị Lan", "Chuyên viên UBND quận Đống Đa", "006", Role.UNIT_REPORTER
    ),
    DemoUser(
        "lanhdao.dongda", "Phạm Văn Hùng", "Phó Chủ tịch UBND quận Đống Đa", "006", Role.UNIT_HEAD
    ),
    DemoUser(
        "kiemtra", "Hoàng Quốc Việt", "Thành viên Đoàn kiểm tra số 1", "SKHCN", Role.INSPECTOR
    ),
    DemoUser(
        "xem.thuongtin", "Đỗ Thị Mai", "Chuyên viên UBND huyện Thường Tín", "279", Role.VIEWER
    ),
]


@transaction.atomic
def load_demo_users(programme: Programme) -> list[DemoUser]:
    for spec in DEMO_USERS:
        user, _ = User.objects.update_or_create(
            username=spec.username,
            defaults={
                "full_name": spec.full_name,
                "position": spec.position,
                "unit": OrgUnit.objects.get(code=spec.unit) if spec.unit else None,
                "is_demo": True,
                "is_active": True,
            },
        )
        user.set_password(DEMO_PASSWORD)
        user.save()
        # The administrator holds its role for every programme; the others for this one.
        scope = None if spec.role == Role.ADMINISTRATOR else programme
        RoleGrant.objects.get_or_create(user=user, role=spec.role, programme=scope)
    return DEMO_USERS
