"""Office hours: parse "Mon-Fri 07:30-11:30,13:30-17:00" (groups may be joined with ";", e.g.
"Mon-Fri 07:30-11:30,13:30-17:00; Sat 07:30-11:30"), tell whether a moment is inside them, when they
next open, and say both in Vietnamese."""
from __future__ import annotations

from dataclasses import dataclass
from datetime import date, datetime, time, timedelta
from zoneinfo import ZoneInfo

DAY_KEYS = ("mon", "tue", "wed", "thu", "fri", "sat", "sun")
DAY_NAMES = ("thứ Hai", "thứ Ba", "thứ Tư", "thứ Năm", "thứ Sáu", "thứ Bảy", "Chủ nhật")


class OfficeHoursError(ValueError):
    pass


@dataclass(frozen=True)
class Period:
    start: time
    end: time


@dataclass(frozen=True)
class DayGroup:
    days: tuple[int, ...]  # 0 = Monday
    periods: tuple[Period, ...]


@dataclass(frozen=True)
class OfficeHours:
    groups: tuple[DayGroup, ...]
    zone: ZoneInfo
    closed_dates: frozenset[date] = frozenset()  # public holidays (Tết moves every year, so they are data)

    def periods_on(self, day: date) -> list[Period]:
        if day in self.closed_dates:
            return []
        found = [p for g in self.groups if day.weekday() in g.days for p in g.periods]
        return sorted(found, key=lambda p: p.start)

    def is_open(self, moment: datetime) -> bool:
        local = moment.astimezone(self.zone)
        return any(p.start <= local.time() < p.end for p in self.periods_on(local.date()))

    def next_open(self, moment: datetime) -> datetime | None:
        """The next opening strictly after `moment` (local time), or None when no day has hours."""
        local = moment.astimezone(self.zone)
        for offset in range(8 + len(self.closed_dates)):
            day = (local + timedelta(days=offset)).date()
            for period in self.periods_on(day):
                opening = datetime.combine(day, period.start, tzinfo=self.zone)
                if opening > local:
                    return opening
        return None

    def describe(self) -> str:
        """"thứ Hai đến thứ Sáu, 07:30–11:30 và 13:30–17:00"."""
        return "; ".join(f"{describe_days(g.days)}, {describe_periods(g.periods)}" for g in self.groups)


def parse_clock(text: str) -> time:
    try:
        hours, minutes = text.strip().split(":")
        return time(int(hours), int(minutes))
    except ValueError as exc:
        raise OfficeHoursError(f"bad time {text!r}") from exc


def parse_days(text: str) -> tuple[int, ...]:
    days: list[int] = []
    for part in text.split(","):
        first, _, last = part.strip().lower().partition("-")
        if first[:3] not in DAY_KEYS or (last and last[:3] not in DAY_KEYS):
            raise OfficeHoursError(f"bad days {text!r}")
        start = DAY_KEYS.index(first[:3])
        end = DAY_KEYS.index(last[:3]) if last else start
        days.extend(range(start, end + 1) if start <= end else [*range(start, 7), *range(0, end + 1)])
    return tuple(days)


def parse_periods(text: str) -> tuple[Period, ...]:
    periods = []
    for part in text.split(","):
        start, sep, end = part.strip().partition("-")
        if not sep:
            raise OfficeHoursError(f"bad period {part!r}")
        period = Period(parse_clock(start), parse_clock(end))
        if period.start >= period.end:
            raise OfficeHoursError(f"period ends before it starts: {part!r}")
        periods.append(period)
    return tuple(periods)


def parse_office_hours(spec: str, timezone: str, closed_dates: list[str | date] | None = None) -> OfficeHours:
    groups = []
    for group in spec.split(";"):
        group = group.strip()
        if not group:
            continue
        days, _, periods = group.partition(" ")
        groups.append(DayGroup(parse_days(days), parse_periods(periods.replace(" ", ""))))
    if not groups:
        raise OfficeHoursError("no office hours given")
    closed = frozenset(d if isinstance(d, date) else date.fromisoformat(str(d)) for d in closed_dates or [])
    return OfficeHours(tuple(groups), ZoneInfo(timezone), closed)


def describe_days(days: tuple[int, ...]) -> str:
    if len(days) > 1 and list(days) == list(range(days[0], days[-1] + 1)):
        return f"{DAY_NAMES[days[0]]} đến {DAY_NAMES[days[-1]]}"
    return ", ".join(DAY_NAMES[d] for d in days)


def describe_periods(periods: tuple[Period, ...]) -> str:
    return " và ".join(f"{p.start:%H:%M}–{p.end:%H:%M}" for p in periods)


def describe_moment(moment: datetime, now: datetime) -> str:
    """"07:30 ngày mai (thứ Bảy, 29/11/2026)", "13:30 hôm nay", "07:30 thứ Hai, 01/12/2026"."""
    local_now = now.astimezone(moment.tzinfo)
    days_ahead = (moment.date() - local_now.date()).days
    when = f"{DAY_NAMES[moment.weekday()]}, {moment:%d/%m/%Y}"
    if days_ahead == 0:
        return f"{moment:%H:%M} hôm nay"
    if days_ahead == 1:
        return f"{moment:%H:%M} ngày mai ({when})"
    return f"{moment:%H:%M} {when}"
