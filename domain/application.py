"""The Svodka application: the only way commands reach the event store."""

from __future__ import annotations

from collections.abc import Callable, Mapping
from dataclasses import dataclass
from datetime import date, datetime
from typing import Any
from uuid import UUID

from eventsourcing.application import AggregateNotFoundError, Application
from eventsourcing.persistence import IntegrityError
from eventsourcing.utils import Environment

from domain.errors import (
    Conflict,
    DomainError,
    IdempotencyConflict,
    InvalidReport,
    InvalidTransition,
    ReportNotFound,
)
from domain.model import (
    Kind,
    Status,
    check_description,
    check_detained,
    check_occurred_at,
    check_reason,
    utc_now,
)
from domain.places import Gazetteer, Place, coarse
from domain.ports import PersonalDataVault
from domain.report import Report, report_id
from domain.reporter import LEGACY_REFERENCE_LENGTH, Reporter, reporter_id
from domain.bulletin import Bulletin, bulletin_id
from domain.webhook import Webhook, check_topics, check_url

ERASED = "erased"


@dataclass(frozen=True, slots=True)
class NewReport:
    """What a reporter or an operator submits; personal fields are sealed before they are kept."""

    kind: Kind | str
    channel: str
    client_ref: str
    occurred_at: datetime
    reporter: str | None = None
    region: str | None = None
    city: str | None = None
    lat: float | None = None
    lon: float | None = None
    detained: int | None = None
    description: str | None = None


@dataclass(frozen=True, slots=True)
class Submission:
    id: UUID
    created: bool


@dataclass(frozen=True, slots=True)
class Linked:
    """A duplicate link as made: `of` is the group's root, which may not be the report asked for."""

    version: int
    of: UUID
    asked: UUID  # the report the moderator named; differs from `of` when it was itself a duplicate
    moved: tuple[UUID, ...] = ()  # this report's own duplicates, re-pointed to the new root with it


@dataclass(frozen=True, slots=True)
class HistoryEntry:
    """One change to a report: when it was recorded, what it was, who made it and why."""

    at: datetime
    action: str
    by: str | None
    why: str | None
    of: UUID | None = None


# How far apart two reports may be and still be linked as duplicates without a reason saying why.
NEAR_DAYS = 1
HISTORY = {
    "Submitted": "submitted", "Verified": "verified", "Rejected": "rejected",
    "MarkedDuplicate": "duplicate", "Repointed": "repointed", "Reopened": "reopened",
    "Corrected": "corrected", "Retracted": "retracted", "Confirmed": "still there", "Cleared": "gone",
    "DuplicateAttached": "duplicate attached", "DuplicateDetached": "duplicate detached",
}  # fmt: skip


def _subject(rid: UUID, reporter: str | None) -> str:
    """Whose key seals a report: its reporter's, else its own (a report without one is erased alone)."""
    return reporter or f"report:{rid}"


@dataclass(frozen=True, slots=True)
class Facts:
    """A submission's facts after validation, in the form the event keeps them."""

    kind: Kind
    place: Place
    occurred_at: datetime
    local_time: datetime  # occurred_at in the place's own time zone: what a receipt shows
    local_day: str
    detained: int | None
    coarse_lat: float | None
    coarse_lon: float | None
    personal: dict[str, Any]


class Svodka(Application[UUID]):
    name = "svodka"

    def __init__(
        self,
        env: Mapping[str, str] | None = None,
        *,
        vault: PersonalDataVault,
        gazetteer: Gazetteer | None = None,
    ) -> None:
        super().__init__(env=dict(env or {}))
        self.vault = vault
        self.gazetteer = gazetteer or Gazetteer.default()

    def construct_env(self, name: str, env: Mapping[str, str] | None = None) -> Environment:
        # Settings come from infra alone: the library would otherwise merge in the process environment.
        return Environment(name, dict(env or {}))

    # -- intake ------------------------------------------------------------------

    def submit(self, new: NewReport, now: datetime | None = None) -> Submission:
        """Store a report once: a retry with the same channel and reference finds the first one."""
        facts = self._facts(new, now)
        rid = report_id(new.channel, new.client_ref)
        existing = self._find(rid)
        if existing is not None:
            self._check_same(existing, new, facts)
            return Submission(rid, created=False)
        try:
            self.save(self._build(rid, new, facts, self._reference(new.reporter, create=True), self.vault.seal))
        except IntegrityError:
            # A concurrent retry won the race; it is the same submission only if the bodies agree.
            self._check_same(self._get(rid), new, facts)
            return Submission(rid, created=False)
        return Submission(rid, created=True)

    def submit_many(self, batch: list[NewReport], now: datetime | None = None) -> list[Submission | Exception]:
        """Group commit: every valid new report of `batch` saved in one transaction.

        The outcome of each, in order: its submission, or what it raised. One report's error is
        its own (a DomainError, or a failure the caller maps, e.g. the key store being down):
        nothing one report holds may fail its neighbours. When the store refuses the batch (an
        id already taken, i.e. a retry), each report goes through `submit`, which tells a retry
        from a conflict.
        """
        outcomes: list[Submission | Exception | None] = [None] * len(batch)
        understood: dict[UUID, tuple[int, Facts, str | None]] = {}
        one_by_one: list[int] = []
        for i, new in enumerate(batch):
            try:
                rid = report_id(new.channel, new.client_ref)
                if rid in understood:
                    one_by_one.append(i)  # the same reference twice in one batch: a retry
                    continue
                facts = self._facts(new, now)
                understood[rid] = (i, facts, self._reference(new.reporter, create=True))
            except Exception as error:  # noqa: BLE001 - this report's outcome, not the batch's
                outcomes[i] = error
        # Reports without a reporter are each their own subject: their keys are made together here.
        seal = self._sealer({_subject(rid, reporter) for rid, (_, facts, reporter) in understood.items() if facts.personal})
        fresh: dict[UUID, tuple[int, Report]] = {}
        for rid, (i, facts, reporter) in understood.items():
            try:
                fresh[rid] = (i, self._build(rid, batch[i], facts, reporter, seal))
            except Exception as error:  # noqa: BLE001 - as above
                outcomes[i] = error
        if fresh:
            try:
                self.save(*(report for _, report in fresh.values()))
            except IntegrityError:
                one_by_one.extend(i for i, _ in fresh.values())
            else:
                for i, report in fresh.values():
                    outcomes[i] = Submission(report.id, created=True)
        for i in sorted(one_by_one):
            try:
                outcomes[i] = self.submit(batch[i], now)
            except Exception as error:  # noqa: BLE001 - as above
                outcomes[i] = error
        return outcomes  # type: ignore[return-value]

    def understand(self, new: NewReport, now: datetime | None = None) -> Facts:
        """What `submit` would store for `new`, by the same rules, storing nothing: a dry run,
        and the receipt every front door (API, console form, CSV import) shows."""
        return self._facts(new, now)

    def _sealer(self, subjects: set[str]) -> Callable[[str, dict[str, Any]], str]:
        """The batch's sealer; if its keys cannot be made, the reports that need one fail, alone."""
        if not subjects:
            return self.vault.seal
        try:
            return self.vault.sealer(subjects)
        except Exception as error:  # noqa: BLE001 - e.g. the key store down: not the plain reports' outcome
            failure = error

            def failed(subject: str, fields: dict[str, Any]) -> str:
                raise failure

            return failed

    def _build(self, rid: UUID, new: NewReport, facts: Facts, reporter: str | None,
               seal: Callable[[str, dict[str, Any]], str]) -> Report:
        subject = _subject(rid, reporter)
        return Report(
            id=rid,
            kind=facts.kind.value,
            channel=new.channel,
            reporter=reporter,
            region=facts.place.region,
            city=facts.place.city,
            occurred_at=facts.occurred_at,
            local_day=facts.local_day,
            detained=facts.detained,
            coarse_lat=facts.coarse_lat,
            coarse_lon=facts.coarse_lon,
            subject=subject,
            sealed=seal(subject, facts.personal) if facts.personal else None,
        )

    def _facts(self, new: NewReport, now: datetime | None) -> Facts:
        try:
            kind = Kind(new.kind)
        except ValueError:
            raise InvalidReport("The kind must be 'detention' or 'checkpoint'.", code="kind", field="kind") from None
        detained = check_detained(kind, new.detained)
        occurred_at = check_occurred_at(new.occurred_at, now)
        description = check_description(new.description)
        place = self.gazetteer.resolve(region=new.region, city=new.city, lat=new.lat, lon=new.lon)
        coarse_lat, coarse_lon = self._public_point(place, new.lat, new.lon)
        personal: dict[str, Any] = {}
        if description:
            personal["description"] = description
        if new.lat is not None and new.lon is not None:
            personal["lat"], personal["lon"] = float(new.lat), float(new.lon)
        local_time = occurred_at.astimezone(self.gazetteer.region(place.region).tz())
        return Facts(
            kind=kind,
            place=place,
            occurred_at=occurred_at,
            local_time=local_time,
            local_day=local_time.date().isoformat(),
            detained=detained,
            coarse_lat=coarse_lat,
            coarse_lon=coarse_lon,
            personal=personal,
        )

    def _public_point(
        self, place: Place, lat: float | None, lon: float | None
    ) -> tuple[float | None, float | None]:
        """About 1 km for a shared point, else the city's centre; never the precise point."""
        if lat is not None and lon is not None:
            return coarse(lat, lon)
        if place.city is not None:
            city = self.gazetteer.city_by_name_en(place.city)
            return coarse(city.lat, city.lon)
        return None, None

    def _check_same(self, report: Report, new: NewReport, facts: Facts) -> None:
        same = (
            report.kind is facts.kind
            and self._same_reporter(report.reporter, new.reporter)
            and report.region == facts.place.region
            and report.city == facts.place.city
            and report.occurred_at == facts.occurred_at
            and report.detained == facts.detained
        )
        if same:
            stored = self._personal(report)
            same = stored is ERASED or stored == facts.personal
        if not same:
            raise IdempotencyConflict(
                "This reference was already used for a different report; use a new one.", code="reference_used"
            )

    def _same_reporter(self, reference: str | None, pseudonym: str | None) -> bool:
        """A forgotten reporter's retry cannot be told by reference any more; its id says it is theirs."""
        now = self._reference(pseudonym, create=False)
        if now is None and reference is not None and pseudonym is not None:
            reporter = self.reporter(reference)
            return reporter is not None and reporter.forgotten
        return reference == now

    # -- reporters on their reports ------------------------------------------------

    # `by` is the reporter's pseudonym; events keep their reference instead (see `_reference`).

    def confirm_checkpoint(self, rid: UUID, by: str | None, seen_at: datetime | None = None) -> bool:
        """"Still there", seen at `seen_at` (default: now, as it is sent); once per pseudonym.
        False when this pseudonym had already said so: the repeat is not counted."""
        return self._vote(rid, by, seen_at, Report.confirm)

    def clear_checkpoint(self, rid: UUID, by: str | None, seen_at: datetime | None = None) -> bool:
        """"Gone", seen at `seen_at` (default now); ends the checkpoint per `Report.clear`'s rule.
        False when this pseudonym had already said so: the repeat is not counted."""
        return self._vote(rid, by, seen_at, Report.clear)

    def _vote(
        self, rid: UUID, by: str | None, seen_at: datetime | None, cast: Callable[[Report, str | None, datetime], bool]
    ) -> bool:
        # The caller must know whether the vote counted, so a reporter is never thanked for a repeat.
        when = check_occurred_at(seen_at or utc_now())
        voter = self._reference(by, create=True)
        report = self._get(rid)
        if not cast(report, voter, when):
            return False
        self._save(report)
        return True

    def clear_checkpoint_as_moderator(
        self, rid: UUID, *, moderator: str, expected_version: int | None = None
    ) -> int:
        return self._change(rid, expected_version, lambda r: r.clear_as_moderator(moderator, utc_now()))

    def retract(self, rid: UUID, by: str | None, reason: str | None = None) -> int:
        """By its reporter (their pseudonym) or by the operator who sent it (`operator:<name>`)."""
        reason = (reason or "").strip() or None
        sender = by if by is not None and by.startswith("operator:") else self._reference(by, create=False)
        if sender is None:
            raise InvalidTransition("Only the person who sent a report can retract it.", code="only_sender")
        report = self._get(rid)
        root_id = report.duplicate_of
        report.retract(by=sender, reason=reason)
        self._save(report, *self._leave_group(rid, root_id))
        return report.version

    def _leave_group(self, rid: UUID, root_id: UUID | None) -> list[Report]:
        """The root that must forget `rid` (reopened or retracted), if it had one."""
        if root_id is None:
            return []
        root = self._get(root_id)
        root.detach_duplicate(rid)
        return [root]

    def correct(
        self,
        rid: UUID,
        *,
        by: str,
        reason: str,
        expected_version: int | None = None,
        detained: int | None = None,
        region: str | None = None,
        city: str | None = None,
        occurred_at: datetime | None = None,
        now: datetime | None = None,
    ) -> int:
        """Change the countable facts; what is not given keeps its value."""
        reason = check_reason(reason)

        def apply(report: Report) -> None:
            new_place = region is not None or city is not None
            place = (
                self.gazetteer.resolve(region=region, city=city)
                if new_place
                else Place(report.region, report.city)
            )
            when = check_occurred_at(occurred_at, now) if occurred_at else report.occurred_at
            count = check_detained(report.kind, detained if detained is not None else report.detained)
            lat, lon = (
                self._public_point(place, None, None)
                if new_place
                else (report.coarse_lat, report.coarse_lon)
            )
            report.correct(
                by=by,
                reason=reason,
                detained=count,
                region=place.region,
                city=place.city,
                occurred_at=when,
                local_day=self.gazetteer.local_date(when, place.region).isoformat(),
                coarse_lat=lat,
                coarse_lon=lon,
            )

        return self._change(rid, expected_version, apply)

    # -- moderation ------------------------------------------------------------------

    def verify(
        self, rid: UUID, *, moderator: str, note: str | None = None, expected_version: int | None = None
    ) -> int:
        note = (note or "").strip() or None
        return self._change(rid, expected_version, lambda r: r.verify(moderator, note))

    def reject(
        self, rid: UUID, *, moderator: str, reason: str, expected_version: int | None = None
    ) -> int:
        reason = check_reason(reason)
        return self._change(rid, expected_version, lambda r: r.reject(moderator, reason))

    def mark_duplicate(
        self,
        rid: UUID,
        *,
        of: UUID,
        moderator: str,
        reason: str | None = None,
        expected_version: int | None = None,
    ) -> Linked:
        """Link `rid` into the group of `of`, always at the group's root, so a group counts once.

        A duplicate already linked elsewhere is re-pointed; this report's own duplicates move to
        the new root with it. Every report whose links change is saved in one transaction.
        """
        reason = (reason or "").strip() or None
        report = self._get(rid)
        self._check_version(report, expected_version)
        asked = self._find(of)
        if asked is None or not isinstance(asked, Report):
            raise ReportNotFound(f"There is no report {of} to be a duplicate of.", code="no_root", field="of",
                                 parts={"id": of})
        if of == rid:
            raise InvalidTransition("A report cannot be a duplicate of itself.", code="self_duplicate", field="of")
        if asked.kind is not report.kind:
            raise InvalidReport(
                f"Report {of} is a {asked.kind.value} report and this one a {report.kind.value}; "
                "only reports of the same kind can be duplicates.",
                code="other_kind", field="of", parts={"id": of, "its": asked.kind, "this": report.kind},
            )
        root = self._root(asked, rid)
        if root.status in (Status.REJECTED, Status.RETRACTED):
            raise InvalidTransition(
                f"Report {root.id} is {root.status.value}; a duplicate must point at a report that counts.",
                code="root_not_counted", field="of", parts={"id": root.id, "status": root.status},
            )
        self._check_near(report, root, reason)
        previous = report.duplicate_of
        members = sorted(report.duplicates)
        report.mark_duplicate(moderator, root.id, reason)
        changed: dict[UUID, Report] = {rid: report, root.id: root}
        if previous is not None:
            old_root = changed.get(previous) or self._get(previous)
            old_root.detach_duplicate(rid)
            changed[previous] = old_root
        root.attach_duplicate(rid)
        for member_id in members:
            # A group joining another moves whole: every member points at the new root.
            member = self._get(member_id)
            member.mark_duplicate(moderator, root.id, f"its root {rid} became a duplicate of {root.id}")
            report.detach_duplicate(member_id)
            root.attach_duplicate(member_id)
            changed[member_id] = member
        self._save(*changed.values())
        return Linked(report.version, root.id, of, tuple(members))

    def _root(self, report: Report, linking: UUID) -> Report:
        """The report at the root of `report`'s group; a link back to `linking` would be a cycle."""
        seen = {linking}
        while report.status is Status.DUPLICATE and report.duplicate_of is not None:
            if report.id in seen:
                break
            seen.add(report.id)
            report = self._get(report.duplicate_of)
        if report.id in seen:
            raise InvalidTransition(
                f"Report {report.id} is already in this report's group; linking them would make a cycle.",
                code="cycle", field="of", parts={"id": report.id},
            )
        return report

    def _check_near(self, report: Report, root: Report, reason: str | None) -> None:
        """Same region within a day, unless the moderator says why the link holds anyway."""
        if reason is not None:
            return
        days = abs((date.fromisoformat(report.local_day) - date.fromisoformat(root.local_day)).days)
        if report.region == root.region and days <= NEAR_DAYS:
            return
        raise InvalidReport(
            f"This report is from {report.region} on {report.local_day}, report {root.id} from "
            f"{root.region} on {root.local_day}; give a reason to link reports so far apart.",
            code="far_apart", field="reason",
            parts={"region": self.gazetteer.region(report.region), "day": report.local_day, "id": root.id,
                   "root_region": self.gazetteer.region(root.region), "root_day": root.local_day},
        )

    def reopen(
        self, rid: UUID, *, moderator: str, reason: str, expected_version: int | None = None
    ) -> int:
        """Return a verified, rejected or duplicate report to unreviewed, to be decided again."""
        reason = check_reason(reason)
        report = self._get(rid)
        self._check_version(report, expected_version)
        root_id = report.duplicate_of
        report.reopen(moderator, reason)
        self._save(report, *self._leave_group(rid, root_id))
        return report.version

    # Moderators know a reporter only by the reference on their reports (`Report.reporter`).

    def block_reporter(self, reference: str, *, moderator: str, reason: str) -> int:
        reason = check_reason(reason)
        return self._change_reporter(reference, lambda r: r.block(moderator, reason))

    def unblock_reporter(self, reference: str, *, moderator: str, reason: str) -> int:
        reason = check_reason(reason)
        return self._change_reporter(reference, lambda r: r.unblock(moderator, reason))

    def forget_reference(self, reference: str, *, by: str) -> int:
        """Destroy the reporter's key first: privacy must not wait on the event being stored.

        The key row is also the only link from their pseudonym to `reference`: once it is gone,
        nothing stored tells whose reports these were, even to someone holding every key."""
        self.vault.shred(reference)
        if len(reference) == LEGACY_REFERENCE_LENGTH and self.reporter(reference) is None:
            # A reporter from before references, never blocked: a Forgotten event would write their
            # pseudonym into the log again, under an aggregate id computed from it. The shredded
            # key row is the record: without it they get a new reference (`_reference`).
            return 0
        return self._change_reporter(reference, lambda r: r.forget(by))

    def forget_reporter(self, pseudonym: str, *, by: str) -> int:
        """"Forget me" from the reporter themselves; 0 when nothing was ever kept for them."""
        reference = self._reference(pseudonym, create=False)
        if reference is None:
            return 0  # recording a Forgotten event would itself name the pseudonym
        return self.forget_reference(reference, by=by)

    def reporter_reference(self, pseudonym: str, *, create: bool = False) -> str | None:
        """The reference a reporter's events carry, while their key exists (with `create`, made
        now if they have none yet: a reporter may subscribe to alerts before reporting)."""
        return self._reference(pseudonym, create=create)

    # -- reads -------------------------------------------------------------------------

    def report(self, rid: UUID) -> Report:
        return self._get(rid)

    def sent_by(self, rid: UUID, channel: str) -> Report:
        """A report as its sender may see it: one sent on another channel is not found."""
        report = self._get(rid)
        if report.channel != channel:
            raise ReportNotFound(f"There is no report {rid}.", code="not_found", parts={"id": rid})
        return report

    def history(self, rid: UUID) -> list[HistoryEntry]:
        """Every change to the report, oldest first, with the time it was recorded."""
        self._get(rid)
        entries = []
        for e in self.repository.event_store.get(rid):
            name = type(e).__name__
            by = getattr(e, "moderator", None) or getattr(e, "by", None)
            why = getattr(e, "reason", None) or getattr(e, "note", None)
            of = getattr(e, "of", None) or getattr(e, "duplicate", None)
            if name == "Submitted":
                by = e.channel
            elif name in ("Confirmed", "Cleared", "Retracted") and by and not by.startswith("operator:"):
                by = "reporter"  # a reporter's reference is not repeated in the history
            entries.append(HistoryEntry(e.timestamp, HISTORY.get(name, name), by, why, of))
        return entries

    def reporter(self, reference: str) -> Reporter | None:
        try:
            return self.repository.get(reporter_id(reference))
        except AggregateNotFoundError:
            return None

    def _reference(self, pseudonym: str | None, *, create: bool) -> str | None:
        """What events and the read model call a reporter: a random subject held in their key row.

        Reporters from before references are named by their pseudonym in their events
        (docs/THREAT_MODEL.md, "What forgetting cannot reach"); they keep it until forgotten, so a
        block still holds. Once forgotten, it is never written again: they get a new reference,
        as a new account would."""
        if pseudonym is None:
            return None
        found = self.vault.reference(pseudonym, create=False)
        if found is None:
            legacy = self.reporter(pseudonym)
            if legacy is not None and not legacy.forgotten:
                return pseudonym
        if found is None and create:
            found = self.vault.reference(pseudonym, create=True)
        return found

    def personal_fields(self, rid: UUID) -> dict[str, Any] | str:
        """For moderators only: the report's sealed fields, or "erased" once shredded."""
        return self._personal(self._get(rid))

    def _personal(self, report: Report) -> dict[str, Any] | str:
        if report.sealed is None:
            return {}
        opened = self.vault.open(report.subject, report.sealed)
        return ERASED if opened is None else opened

    # -- bulletins and partners' webhooks -----------------------------------------------------

    def publish_bulletin(self, *, slot: datetime, previous: UUID | None = None, **facts: Any) -> UUID | None:
        """Record the bulletin due at `slot`, unless one already is (a retry, a second scheduler): None then."""
        if self.bulletin(bulletin_id(slot)) is not None:
            return None
        bulletin = Bulletin(slot=slot, previous=previous, **facts)
        try:
            self.save(bulletin)
        except IntegrityError:
            return None  # another scheduler recorded this slot first
        return bulletin.id

    def bulletin(self, bid: UUID) -> Bulletin | None:
        found = self._find(bid)
        return found if isinstance(found, Bulletin) else None

    def register_webhook(self, *, url: str, topics: list[str], regions: list[str], by: str) -> UUID:
        codes = sorted({self.gazetteer.region(code).code for code in regions})
        webhook = Webhook(url=check_url(url), topics=check_topics(topics), regions=codes, by=by)
        self.save(webhook)
        return webhook.id

    def remove_webhook(self, wid: UUID, *, by: str) -> None:
        webhook = self._find(wid)
        if not isinstance(webhook, Webhook):
            raise ReportNotFound(f"There is no webhook {wid}.", code="webhook_not_found", parts={"id": wid})
        webhook.remove(by)
        self.save(webhook)

    # -- plumbing --------------------------------------------------------------------------

    def _find(self, rid: UUID) -> Report | None:
        try:
            return self.repository.get(rid)
        except AggregateNotFoundError:
            return None

    def _get(self, rid: UUID) -> Report:
        report = self._find(rid)
        if report is None or not isinstance(report, Report):
            raise ReportNotFound(f"There is no report {rid}.", code="not_found", parts={"id": rid})
        return report

    def _change(
        self, rid: UUID, expected_version: int | None, apply: Callable[[Report], None]
    ) -> int:
        """Optimistic concurrency: a stale version, or a lost race at commit, is a Conflict."""
        report = self._get(rid)
        self._check_version(report, expected_version)
        apply(report)
        self._save(report)
        return report.version

    @staticmethod
    def _check_version(report: Report, expected_version: int | None) -> None:
        if expected_version is not None and report.version != expected_version:
            raise Conflict(
                f"The report changed (version {report.version}, you saw {expected_version}); "
                "reload it and decide again.", code="changed", parts={"version": report.version, "seen": expected_version}
            )

    def _save(self, *reports: Report) -> None:
        """All or none: a lost race on any of them is a Conflict and nothing is stored."""
        try:
            self.save(*reports)
        except IntegrityError:
            raise Conflict("Someone else changed this report at the same moment; reload it.", code="changed_meanwhile") from None

    def _change_reporter(self, reference: str, apply: Callable[[Reporter], None]) -> int:
        reporter = self.reporter(reference) or Reporter(pseudonym=reference)
        apply(reporter)
        try:
            self.save(reporter)
        except IntegrityError:
            raise Conflict("Someone else changed this reporter at the same moment; retry.",
                           code="reporter_changed_meanwhile") from None
        return reporter.version
