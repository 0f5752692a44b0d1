"""Stable public addresses: /public/<organization>/<BE year>/ and its downloads."""

from django.urls import path

from workflow.views import public, public_ita

app_name = "public"

urlpatterns = [
    path("", public.index, name="index"),
    path("files/evidence/<int:evidence_id>/", public.evidence_download, name="evidence"),
    path("province/<str:province>/", public.province_page, name="province"),
    path("<slug:slug>/", public.organization_years, name="organization"),
    path("<slug:slug>/<int:year>/", public.report_page, name="report"),
    path("<slug:slug>/<int:year>/report.pdf", public.report_pdf, name="report-pdf"),
    path("<slug:slug>/<int:year>/report.xlsx", public.report_xlsx_download, name="report-xlsx"),
    path("<slug:slug>/<int:year>/report.csv", public.report_csv_download, name="report-csv"),
    path("<slug:slug>/<int:year>/oit/<str:code>/", public_ita.oit_item, name="oit-item"),
    path("<slug:slug>/<int:year>/verify/", public.report_verify, name="report-verify"),
    # each published state's files stay retrievable (the as-of report)
    path(
        "<slug:slug>/<int:year>/<int:publication_id>/report.pdf",
        public.report_pdf,
        name="report-pdf-of",
    ),
    path(
        "<slug:slug>/<int:year>/<int:publication_id>/report.xlsx",
        public.report_xlsx_download,
        name="report-xlsx-of",
    ),
]
