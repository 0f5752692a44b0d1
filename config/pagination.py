"""The API's pages (REST_FRAMEWORK["DEFAULT_PAGINATION_CLASS"]); its own module, because
DRF loads it while drf-spectacular, which config.api imports, is still importing DRF."""

from rest_framework import exceptions, pagination


class PageNumberPagination(pagination.PageNumberPagination):
    """DRF's pages, except that `?page=` must be a number, as the schema says (else 404)."""

    def get_page_number(self, request, paginator):
        number = request.query_params.get(self.page_query_param)
        if number is not None and not (number.isascii() and number.isdigit()):
            raise exceptions.NotFound()
        return super().get_page_number(request, paginator)
