from django.contrib import admin
from django.contrib.admin.utils import unquote
from django.contrib.auth.admin import UserAdmin as BaseUserAdmin
from django.core.exceptions import ValidationError
from django.utils.translation import gettext_lazy as _
from simple_history.admin import SimpleHistoryAdmin

from core.access import require

from .models import SecurityEvent, User
from .scope import scope_for


class ScopedAdmin(SimpleHistoryAdmin):
    """Admin whose changelist, change form and autocomplete go through the app's selectors.

    `scoped_queryset(scope)` returns what the Scope may see; a user given admin access but
    working in one region still sees only that region's rows."""

    def __init__(self, model, admin_site):
        super().__init__(model, admin_site)
        # Some models keep no django-simple-history table (import batches, report files);
        # their "History" link shows Django's own admin log instead of a 500.
        self.keeps_history = hasattr(model._meta, "simple_history_manager_attribute")
        if not self.keeps_history:
            self.object_history_template = None

    def scoped_queryset(self, scope):
        raise NotImplementedError

    def _history_in_scope(self, request, object_id) -> bool:
        """simple_history looks a record's history up without our queryset (to show deleted
        rows); only administrators may do that, others see the history of what they see."""
        if scope_for(request.user).can_manage:
            return True
        try:
            pk = self.model._meta.pk.to_python(unquote(object_id))
        except ValidationError:
            return False
        return self.get_queryset(request).filter(pk=pk).exists()

    def history_view(self, request, object_id, extra_context=None):
        if not self.keeps_history:
            return admin.ModelAdmin.history_view(self, request, object_id, extra_context)
        require(self._history_in_scope(request, object_id), hidden=True)
        return super().history_view(request, object_id, extra_context)

    def history_form_view(self, request, object_id, version_id, extra_context=None):
        require(self.keeps_history and self._history_in_scope(request, object_id), hidden=True)
        return super().history_form_view(request, object_id, version_id, extra_context)

    def get_queryset(self, request):
        qs = self.scoped_queryset(scope_for(request.user))
        related = self.get_list_select_related(request)
        if related:
            qs = qs.select_related(*related) if related is not True else qs.select_related()
        ordering = self.get_ordering(request)
        return qs.order_by(*ordering) if ordering else qs


@admin.register(SecurityEvent)
class SecurityEventAdmin(admin.ModelAdmin):
    """Logins, failed logins and data requests: read-only, only administrators see them."""

    list_display = ("at", "kind", "username", "ip_address", "object_repr")
    list_filter = ("kind",)
    search_fields = ("username", "object_repr")
    date_hierarchy = "at"
    list_select_related = ("user",)

    def has_add_permission(self, request):
        return False

    def has_change_permission(self, request, obj=None):
        return False

    def has_delete_permission(self, request, obj=None):
        return False

    def has_view_permission(self, request, obj=None):
        return scope_for(request.user).can_manage and request.user.is_staff


@admin.register(User)
class UserAdmin(SimpleHistoryAdmin, BaseUserAdmin):
    list_display = ("username", "get_full_name", "email", "role", "is_active", "last_login")
    list_filter = ("role", "is_active", "regions")
    search_fields = ("username", "first_name", "last_name", "email")
    filter_horizontal = ("regions", "groups", "user_permissions")
    fieldsets = (
        *BaseUserAdmin.fieldsets,
        (_("Qadam access"), {"fields": ("role", "regions")}),
    )
    add_fieldsets = (
        *BaseUserAdmin.add_fieldsets,
        (_("Qadam access"), {"fields": ("role", "regions")}),
    )
