"""Django admin for posts: read-only, with one action, removal by a moderator, through the same
service as the moderators' API (``services.post_remove_by_moderator``: moderator role, lock, notice)."""

from __future__ import annotations

from django import forms
from django.contrib import admin, messages
from django.contrib.admin.helpers import ActionForm
from django.db.models import QuerySet
from django.http import HttpRequest

from fanclub.content import services
from fanclub.content.models import Post
from fanclub.core.admin import ReadOnlyModelAdmin
from fanclub.core.errors import ApiError


class RemoveForm(ActionForm):
    reason = forms.CharField(required=False, max_length=1000, help_text="Why (the creator reads it).")


@admin.register(Post)
class PostAdmin(ReadOnlyModelAdmin):
    list_display = ("id", "creator", "state", "access", "published_at", "deleted_at", "removed_by")
    list_filter = ("state", "access")
    list_select_related = ("creator", "removed_by")
    search_fields = ("=id", "creator__handle")
    ordering = ("-id",)
    readonly_fields = [field.name for field in Post._meta.fields]
    action_form = RemoveForm
    actions = ["remove_posts"]

    @admin.action(description="Remove the selected posts (moderation; give a reason)")
    def remove_posts(self, request: HttpRequest, queryset: QuerySet[Post]) -> None:
        reason = request.POST.get("reason", "")
        done, failed = 0, []
        for post_id in queryset.order_by("pk").values_list("pk", flat=True):
            try:
                services.post_remove_by_moderator(moderator=request.user, post_id=post_id, reason=reason)
                done += 1
            except ApiError as error:
                failed.append(f"post {post_id}: {error.message}")
        if done:
            self.message_user(request, f"{done} post(s) removed.", messages.SUCCESS)
        for line in failed:
            self.message_user(request, line, messages.ERROR)
