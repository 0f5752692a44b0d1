"""Print the SHA-256 of each given address as this configuration's site answers it (JSON).

Run as `python -m tests.page_snapshot /public/ /public/x/2564/ …` with DATABASE_URL and
MEDIA_ROOT set; the backup test compares an original's answers with a restored copy's.
The form token and script nonces, new on every request, are left out.
"""

import hashlib
import json
import re
import sys

import django

PER_REQUEST = re.compile(rb'(name="csrfmiddlewaretoken" value=|nonce=|"X-CSRFToken": )"[^"]*"')


def main(paths: list[str]) -> None:
    django.setup()
    from django.test import Client

    client = Client()
    answers = {}
    for path in paths:
        response = client.get(path)
        body = b"".join(response.streaming_content) if response.streaming else response.content
        # what differs on every request by design: the form token and a script nonce
        body = PER_REQUEST.sub(rb"\1", body)
        answers[path] = [response.status_code, hashlib.sha256(body).hexdigest()]
    print(json.dumps(answers))


if __name__ == "__main__":
    main(sys.argv[1:])
