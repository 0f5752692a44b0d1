"""Thai first: the pages speak Thai unless the person chose English with the language form."""


class ThaiFirstMiddleware:
    """Ignore the browser's Accept-Language; only the language cookie switches to English.

    Staff machines in local government often run English-language browsers, yet the
    documents and the people are Thai. Placed just before LocaleMiddleware.
    """

    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request):
        request.META.pop("HTTP_ACCEPT_LANGUAGE", None)
        return self.get_response(request)
