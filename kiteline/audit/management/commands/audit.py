"""`kiteline audit …`: keys, checkpoints, verification and database grants."""

import sys
from argparse import ArgumentParser
from collections.abc import Iterable
from pathlib import Path
from typing import Any

from django.conf import settings
from django.core.management.base import BaseCommand, CommandError
from tqdm import tqdm

from kiteline.audit.chain import ChainPoint, StoredEvent
from kiteline.audit.checkpoints import CheckpointError, read_checkpoint
from kiteline.audit.lockdown import LockdownError, lock_down_audit_table
from kiteline.audit.verification import (
    SigningKeyError,
    chains,
    create_signing_key,
    head_checkpoint,
    load_private_key,
    load_public_key,
    public_pem,
    verify_stored_chain,
)

# Below this many events a progress bar only flickers.
PROGRESS_FROM = 100_000


class Command(BaseCommand):
    help = "Audit log: create the signing key, write checkpoints, verify the chains."

    def add_arguments(self, parser: ArgumentParser) -> None:
        commands = parser.add_subparsers(dest="action", required=True)
        commands.add_parser("keygen", help="create the Ed25519 key that signs checkpoints")
        commands.add_parser("public-key", help="print the public key, for the auditor")
        checkpoint = commands.add_parser(
            "checkpoint", help="sign each chain's head into a file the auditor keeps"
        )
        checkpoint.add_argument(
            "--out", type=Path, default=settings.BASE_DIR / "var" / "checkpoints"
        )
        checkpoint.add_argument("--print", action="store_true", help="also print each checkpoint")
        verify = commands.add_parser("verify", help="recompute every chain; exit 1 on a fault")
        verify.add_argument("--checkpoint", type=Path, nargs="*", default=[], metavar="FILE")
        verify.add_argument(
            "--public-key", type=Path, help="the auditor's copy of the public key (PEM)"
        )
        lockdown = commands.add_parser(
            "lockdown", help="PostgreSQL: forbid the app's role to change audit events"
        )
        lockdown.add_argument("--app-role", required=True)

    def handle(self, *args: Any, **options: Any) -> None:
        try:
            getattr(self, "_" + options["action"].replace("-", "_"))(options)
        except (SigningKeyError, CheckpointError, LockdownError) as error:
            raise CommandError(str(error)) from error

    def _keygen(self, options: dict[str, Any]) -> None:
        path: Path = settings.AUDIT_SIGNING_KEY_FILE
        try:
            public = create_signing_key(path)
        except FileExistsError as error:
            raise CommandError(f"{path} exists already; it is never overwritten.") from error
        self.stdout.write(f"Created the signing key at {path}. Give the auditor this public key:")
        self.stdout.write(public_pem(public))

    def _public_key(self, options: dict[str, Any]) -> None:
        self.stdout.write(public_pem(load_private_key().public_key()))

    def _checkpoint(self, options: dict[str, Any]) -> None:
        key = load_private_key()
        out: Path = options["out"]
        out.mkdir(parents=True, exist_ok=True)
        for chain in chains():
            made = head_checkpoint(chain, key)
            if made is None:
                continue
            point, text = made
            path = out / f"{chain}-{point.position:012d}.json"
            path.write_text(text)
            self.stdout.write(f"{chain}: position {point.position}, written to {path}")
            if options["print"]:
                self.stdout.write(text)

    def _verify(self, options: dict[str, Any]) -> None:
        points: list[ChainPoint] = []
        if options["checkpoint"]:
            public_key = load_public_key(options["public_key"])
            for path in options["checkpoint"]:
                try:
                    points.append(read_checkpoint(path.read_text(), public_key).point)
                except CheckpointError as error:
                    raise CommandError(f"Checkpoint {path}: {error}") from error
                except OSError as error:
                    raise CommandError(f"Checkpoint {path} cannot be read: {error}") from error
        names = sorted(set(chains()) | {point.chain for point in points})
        faults = [
            fault
            for chain in names
            if (fault := verify_stored_chain(chain, points, progress=self._progress))
        ]
        for fault in faults:
            self.stderr.write(f"TAMPERED: {fault}")
        if faults:
            raise CommandError(f"{len(faults)} of {len(names)} audit chains failed verification.")
        self.stdout.write(
            f"All {len(names)} audit chains verified intact"
            + (f", against {len(points)} signed checkpoints." if points else ".")
        )

    def _progress(
        self, events: Iterable[StoredEvent], total: int, chain: str
    ) -> Iterable[StoredEvent]:
        if total < PROGRESS_FROM:
            return events
        return tqdm(events, total=total, desc=chain, unit=" events", file=sys.stderr)

    def _lockdown(self, options: dict[str, Any]) -> None:
        for statement in lock_down_audit_table(options["app_role"]):
            self.stdout.write(statement)
