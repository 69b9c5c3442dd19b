# syntax=docker/dockerfile:1
# Mrejesho's production image: gunicorn serving config.wsgi with the production settings.
#   docker build -t mrejesho .
#   docker run --env-file .env -p 8000:8000 mrejesho        (or: docker compose up, see compose.yaml)
# The same image runs the task worker: `python manage.py db_worker`.
ARG PYTHON_IMAGE=python:3.11-slim-bookworm

# ---- builder: the virtualenv from the hashed lock, compiled catalogues, collected static files
FROM ${PYTHON_IMAGE} AS builder

ENV PIP_NO_CACHE_DIR=1 \
    PIP_DISABLE_PIP_VERSION_CHECK=1 \
    PYTHONDONTWRITEBYTECODE=1 \
    PATH=/opt/venv/bin:$PATH

COPY requirements.lock /tmp/requirements.lock
RUN python -m venv /opt/venv \
    && pip install --require-hashes -r /tmp/requirements.lock

WORKDIR /app
COPY . .

# A throwaway SECRET_KEY (the production settings refuse to load without one); it lives only in
# this RUN's environment and never in an image layer or ENV. collectstatic sends no message, so
# it may load with the console backends (ALLOW_CONSOLE_MESSAGES, for this RUN only).
RUN python scripts/compile_messages.py \
    && SECRET_KEY="$(python -c 'import secrets; print(secrets.token_urlsafe(50))')" \
       ALLOW_CONSOLE_MESSAGES=1 \
       DJANGO_SETTINGS_MODULE=config.settings.production \
       python manage.py collectstatic --no-input --verbosity 1 \
    && python -m compileall -q config feedback pages search

# ---- runtime: Python, Pango and fonts for WeasyPrint, the app, a non-root user
FROM ${PYTHON_IMAGE} AS runtime

# libharfbuzz-subset0: WeasyPrint subsets fonts with it (and warns that it will require it).
RUN apt-get update \
    && apt-get install -y --no-install-recommends \
        libpango-1.0-0 libpangoft2-1.0-0 libharfbuzz-subset0 fonts-dejavu-core \
    && rm -rf /var/lib/apt/lists/*

RUN groupadd --system --gid 10001 mrejesho \
    && useradd --system --uid 10001 --gid mrejesho --home-dir /app --no-create-home \
        --shell /usr/sbin/nologin mrejesho

ENV PATH=/opt/venv/bin:$PATH \
    PYTHONUNBUFFERED=1 \
    PYTHONDONTWRITEBYTECODE=1 \
    DJANGO_SETTINGS_MODULE=config.settings.production \
    MEDIA_ROOT=/app/media

COPY --from=builder /opt/venv /opt/venv
# The code stays root-owned (read-only to the app); only the media folder is writable.
COPY --from=builder /app /app
RUN mkdir -p /app/media && chown mrejesho:mrejesho /app/media

WORKDIR /app
USER mrejesho
EXPOSE 8000

# /healthz checks the database, Elasticsearch and the task queue (503 when one is down). The Host
# header is the first of ALLOWED_HOSTS, so Django accepts the request whatever the deployment's
# host names are; /healthz is exempt from the HTTPS redirect (config/settings/production.py).
HEALTHCHECK --interval=30s --timeout=10s --start-period=60s --retries=3 \
    CMD ["python", "-c", "import os, urllib.request as r; hosts = [h.strip().lstrip('*.') for h in os.environ.get('ALLOWED_HOSTS', '').split(',') if h.strip()]; r.urlopen(r.Request('http://127.0.0.1:8000/healthz', headers={'Host': (hosts + ['localhost'])[0] or 'localhost'}), timeout=8)"]

CMD ["gunicorn", "config.wsgi:application", "--bind", "0.0.0.0:8000", "--workers", "3"]
