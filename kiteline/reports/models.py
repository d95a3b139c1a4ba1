"""Reports as records: the ledger of public releases (what each published, so that no
later release lets a small count be derived from an earlier one, I8) and the case samples
drawn for monitors' chart review (reproducible from their seed)."""

from django.db import models
from django.utils.translation import gettext_lazy as _

from kiteline.accounts.models import User
from kiteline.facilities.models import Facility


class PublicRelease(models.Model):
    """A public report as built: its period, facilities, every value it published (the
    ledger the next release is checked against) and the digest of its files."""

    period = models.CharField(max_length=8)
    facilities = models.ManyToManyField(Facility, related_name="+")
    # {"<table>|<period>|<row>|<column>": value} for every published count.
    published = models.JSONField()
    digest = models.CharField(max_length=64)
    # Where the files were written, for the page's download.
    folder = models.CharField(max_length=500)
    built_by = models.ForeignKey(User, null=True, blank=True, on_delete=models.PROTECT)
    built_at = models.DateTimeField()

    class Meta:
        ordering = ["-built_at", "-pk"]

    def __str__(self) -> str:
        return f"public release {self.period} #{self.pk}"


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
