from django import forms
from django.contrib import admin
from django.core.exceptions import ValidationError
from django.urls import reverse
from django.utils.html import format_html
from django.utils.translation import gettext_lazy as _

from accounts.admin import ScopedAdmin

from . import branding, framework
from .models import (
    Indicator,
    IndicatorComment,
    IndicatorTarget,
    Narrative,
    ReportFile,
    ReportLogo,
    ReportRun,
)


class IndicatorTargetInline(admin.TabularInline):
    model = IndicatorTarget
    extra = 0


@admin.register(Indicator)
class IndicatorAdmin(ScopedAdmin):
    list_display = ("code", "name", "name_kk", "name_ru", "level", "unit", "rule", "programme")
    list_filter = ("level", "unit", "programme")
    list_select_related = ("programme",)
    search_fields = ("code", "name", "name_kk", "name_ru")
    autocomplete_fields = ("programme",)
    inlines = [IndicatorTargetInline]

    def scoped_queryset(self, scope):
        return Indicator.objects.all()


@admin.register(IndicatorTarget)
class IndicatorTargetAdmin(ScopedAdmin):
    list_display = ("indicator", "period", "period_start", "period_end", "value")
    list_filter = ("period",)
    list_select_related = ("indicator",)
    search_fields = ("indicator__code", "indicator__name", "period")
    autocomplete_fields = ("indicator",)

    def scoped_queryset(self, scope):
        return IndicatorTarget.objects.all()


@admin.register(ReportRun)
class ReportRunAdmin(ScopedAdmin):
    list_display = ("period_label", "status", "stage", "percent", "requested_by", "created_at")
    list_filter = ("status",)
    list_select_related = ("requested_by",)
    search_fields = ("period_label",)
    readonly_fields = ("snapshot", "inputs_hash", "error")

    def scoped_queryset(self, scope):
        if scope.all_regions:
            return ReportRun.objects.all()
        return ReportRun.objects.filter(requested_by_id=scope.user_id)


@admin.register(ReportFile)
class ReportFileAdmin(ScopedAdmin):
    list_display = ("run", "format", "size", "created_at")
    list_filter = ("format",)
    list_select_related = ("run",)
    search_fields = ("run__period_label", "format")
    # Not "file": the admin would link its raw storage URL. The file leaves only through the
    # download view, which checks access and records the download.
    readonly_fields = ("run", "format", "download", "size", "sha256")
    exclude = ("file",)

    def scoped_queryset(self, scope):
        if scope.all_regions:
            return ReportFile.objects.all()
        return ReportFile.objects.filter(run__requested_by_id=scope.user_id)

    def has_add_permission(self, request):
        return False  # files are rendered by the report pipeline only

    @admin.display(description=_("file"))
    def download(self, obj):
        if not obj.file or not obj.file.storage.exists(obj.file.name):
            return "-"
        url = reverse("reports:run_download", args=[obj.run_id, obj.format])
        return format_html('<a href="{}">{}</a>', url, _("Download"))


@admin.register(Narrative)
class NarrativeAdmin(ScopedAdmin):
    list_display = ("period_label", "region", "programme", "updated_by", "updated_at")
    list_filter = ("period_label",)
    list_select_related = ("region", "programme", "updated_by")
    search_fields = ("period_label", "highlights", "challenges")
    autocomplete_fields = ("programme", "region")

    def scoped_queryset(self, scope):
        return framework.narratives_visible(scope)


@admin.register(IndicatorComment)
class IndicatorCommentAdmin(ScopedAdmin):
    list_display = ("indicator", "period_label", "updated_by", "updated_at")
    list_filter = ("period_label",)
    list_select_related = ("indicator__programme", "updated_by")
    search_fields = ("indicator__code", "period_label", "text")
    autocomplete_fields = ("indicator",)

    def scoped_queryset(self, scope):
        # Programme-level text, like the indicators it explains.
        return IndicatorComment.objects.all()


class ReportLogoForm(forms.ModelForm):
    """The image arrives as `upload` and goes through reports.branding.set_logo (checked by its
    content, stored without metadata); the model's file field is never shown (its storage URL
    is not served)."""

    upload = forms.FileField(label=_("Image (PNG, JPEG or WebP)"), required=False)

    class Meta:
        model = ReportLogo
        fields = ["role", "name"]

    def clean_upload(self):
        upload = self.cleaned_data.get("upload")
        if upload:
            self.upload_data = upload.read()
            try:
                branding.check_logo(self.upload_data)
            except ValidationError as error:
                raise forms.ValidationError(error.messages) from error
        return upload

    def clean(self):
        cleaned = super().clean()
        if not self.instance.pk and not cleaned.get("upload"):
            self.add_error("upload", _("Choose the logo's image."))
        return cleaned


@admin.register(ReportLogo)
class ReportLogoAdmin(admin.ModelAdmin):
    """The two logos of the donor report (also on /manage/report-logos/)."""

    form = ReportLogoForm
    list_display = ("role", "name", "width", "height", "uploaded_by", "uploaded_at")
    readonly_fields = ("preview", "width", "height", "uploaded_by", "uploaded_at")

    @admin.display(description=_("image"))
    def preview(self, obj):
        if not obj.pk or not obj.image:
            return "-"
        url = reverse("manage:report_logo_image", args=[obj.pk])
        return format_html('<img src="{}" alt="{}" height="80">', url, obj.name)

    def save_model(self, request, obj, form, change):
        if form.cleaned_data.get("upload"):
            saved = branding.set_logo(
                role=obj.role, name=obj.name, data=form.upload_data, by=request.user
            )
            obj.pk, obj.image = saved.pk, saved.image
        else:
            obj.save()

    def delete_model(self, request, obj):
        branding.remove_logo(role=obj.role)

    def delete_queryset(self, request, queryset):
        for logo in queryset:
            branding.remove_logo(role=logo.role)
