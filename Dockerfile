# One image for the web processes, the Celery workers and Celery beat.
FROM python:3.11-slim-bookworm

ENV PYTHONDONTWRITEBYTECODE=1 PYTHONUNBUFFERED=1 PIP_NO_CACHE_DIR=1
RUN apt-get update \
 && apt-get install -y --no-install-recommends \
      gettext libpango-1.0-0 libpangoft2-1.0-0 libharfbuzz-subset0 libthai0 fonts-thai-tlwg \
 && rm -rf /var/lib/apt/lists/*

WORKDIR /app
COPY pyproject.toml README.md ./
COPY config ./config
COPY workflow ./workflow
COPY approvals ./approvals
COPY audit ./audit
COPY templates ./templates
COPY static ./static
COPY locale ./locale
COPY manage.py ./
RUN pip install . \
 && DJANGO_SETTINGS_MODULE=config.settings.base SECRET_KEY=build python manage.py compilemessages \
 && DJANGO_SETTINGS_MODULE=config.settings.production SECRET_KEY=build python manage.py collectstatic --noinput

RUN useradd --create-home --uid 1000 itaflow && mkdir -p /app/var && chown -R itaflow /app/var
USER itaflow
EXPOSE 8000
CMD ["gunicorn", "config.wsgi:application", "-c", "config/gunicorn.py", "--bind", "0.0.0.0:8000", "--workers", "3"]
