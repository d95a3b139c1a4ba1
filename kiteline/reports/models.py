"""Reports as records: the ledger of public releases (what each published, so that no
later release lets a small count be derived from an earlier one, I8) and the case samples
drawn for monitors' chart review (reproducible from their seed)."""

import hashlib
from collections.abc import Mapping
from pathlib import Path

from django.db import models
from django.utils.translation import gettext_lazy as _

from kiteline.accounts.models import User
from kiteline.facilities.models import Facility


class PublicRelease(models.Model):
    """A public report as built: its period, facilities, every value it published (the
    ledger the next release is checked against), its files and their digests."""

    period = models.CharField(max_length=8)
    facilities = models.ManyToManyField(Facility, related_name="+")
    # Every published count, as `tables.Ledger.as_json` writes it: [{"table", "period",
    # "rows", "columns", "values"}], the rows (facility codes or categories) and columns
    # whose counts the figure adds up.
    published = models.JSONField()
    # {file name: SHA-256} of each file written; `digest` covers them all, with their names.
    files = models.JSONField(default=dict)
    digest = models.CharField(max_length=64)
    # Where the files were written, for the page's download.
    folder = models.CharField(max_length=500)
    built_by = models.ForeignKey(User, null=True, blank=True, on_delete=models.PROTECT)
    built_at = models.DateTimeField()

    class Meta:
        ordering = ["-built_at", "-pk"]

    def __str__(self) -> str:
        return f"public release {self.period} #{self.pk}"

    def written_files(self) -> dict[str, bytes] | None:
        """The files the release wrote, read back from its folder: only those, and None
        unless each is as it was written (its SHA-256, and the digest over them all)."""
        folder = Path(self.folder)
        files: dict[str, bytes] = {}
        try:
            for name, digest in sorted(self.files.items()):
                path = folder / name
                # A plain file name, as the build wrote it; never a link out of the folder.
                if Path(name).name != name or path.is_symlink() or not path.is_file():
                    return None
                files[name] = path.read_bytes()
                if hashlib.sha256(files[name]).hexdigest() != digest:
                    return None
        except OSError:
            return None
        return files if files and release_digest(files) == self.digest else None


def release_digest(files: Mapping[str, bytes]) -> str:
    """One SHA-256 over every file of a release, each with its name, in name order."""
    digest = hashlib.sha256()
    for name in sorted(files):
        digest.update(name.encode() + b"\0" + files[name])
    return digest.hexdigest()


class SampleKind(models.TextChoices):
    KITES = "kites", _("Requests")
    DECISIONS = "decisions", _("Decisions")
    APPEALS = "appeals", _("Appeals")
    EVALUATIONS = "evaluations", _("Evaluations")


class CaseSample(models.Model):
    """A random sample of cases for chart review: given the same seed, size, kind, facility
    and period, the same records are drawn again."""

    facility = models.ForeignKey(Facility, on_delete=models.PROTECT, related_name="+")
    kind = models.CharField(max_length=16, choices=SampleKind.choices)
    first_day = models.DateField()
    last_day = models.DateField()
    seed = models.BigIntegerField()
    size = models.PositiveIntegerField()
    # The ids drawn, in the order drawn; the population's size when drawn.
    record_ids = models.JSONField()
    population = models.PositiveIntegerField()
    drawn_by = models.ForeignKey(User, on_delete=models.PROTECT, related_name="+")
    drawn_at = models.DateTimeField()

    class Meta:
        ordering = ["-drawn_at", "-pk"]

    def __str__(self) -> str:
        return f"sample {self.pk} of {self.kind}"
