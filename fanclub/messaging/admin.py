"""Django admin for message reports: staff read the queue and resolve reports through the same
service as the moderators' API (``services.message_report_resolve``: moderator role, locks, notices).
Nothing here writes a report directly."""

from __future__ import annotations

from django import forms
from django.contrib import admin, messages
from django.contrib.admin.helpers import ActionForm
from django.db.models import QuerySet
from django.http import HttpRequest

from fanclub.core.admin import ReadOnlyModelAdmin
from fanclub.core.errors import ApiError
from fanclub.messaging import services
from fanclub.messaging.constants import ReportOutcome
from fanclub.messaging.models import MessageReport


class ResolveForm(ActionForm):
    note = forms.CharField(
        required=False, max_length=1000, help_text="Why (required to remove: the sender reads it)."
    )


def _resolve(request: HttpRequest, queryset: QuerySet[MessageReport], outcome: str) -> tuple[int, list[str]]:
    note = request.POST.get("note", "")
    done, failed = 0, []
    for report_id in queryset.order_by("pk").values_list("pk", flat=True):
        try:
            services.message_report_resolve(
                moderator=request.user,  # type: ignore[arg-type]
                report_id=report_id,
                outcome=outcome,
                note=note,
            )
            done += 1
        except ApiError as error:
            failed.append(f"report {report_id}: {error.message}")
    return done, failed


def _tell(admin_site: admin.ModelAdmin, request: HttpRequest, done: int, failed: list[str]) -> None:
    if done:
        admin_site.message_user(request, f"{done} report(s) resolved.", messages.SUCCESS)
    for line in failed:
        admin_site.message_user(request, line, messages.ERROR)


@admin.register(MessageReport)
class MessageReportAdmin(ReadOnlyModelAdmin):
    list_display = ("id", "created_at", "reporter", "message_id", "status", "outcome", "resolved_at")
    list_filter = ("status", "outcome")
    list_select_related = ("reporter",)
    ordering = ("status", "created_at", "id")
    readonly_fields = [field.name for field in MessageReport._meta.fields]
    action_form = ResolveForm
    actions = ["remove_messages", "dismiss_reports"]

    @admin.action(description="Resolve: remove the reported messages (give a note)")
    def remove_messages(self, request: HttpRequest, queryset: QuerySet[MessageReport]) -> None:
        _tell(self, request, *_resolve(request, queryset, ReportOutcome.ACTIONED))

    @admin.action(description="Resolve: dismiss the reports (no action)")
    def dismiss_reports(self, request: HttpRequest, queryset: QuerySet[MessageReport]) -> None:
        _tell(self, request, *_resolve(request, queryset, ReportOutcome.DISMISSED))
