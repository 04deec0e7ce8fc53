# One slim image for web, worker and beat. Build: docker build -t aws-broker .
# Stage 1 builds wheels (python-ldap and xmlsec compile against Debian's libraries).
FROM python:3.11-slim-bookworm AS build
RUN apt-get update \
 && apt-get install -y --no-install-recommends build-essential pkg-config \
      libldap2-dev libsasl2-dev libxml2-dev libxmlsec1-dev libxmlsec1-openssl \
 && rm -rf /var/lib/apt/lists/*
WORKDIR /src
COPY requirements.txt .
RUN pip wheel --no-cache-dir --wheel-dir /wheels -r requirements.txt

# Stage 2: runtime libraries only, no compiler, no secrets.
FROM python:3.11-slim-bookworm
RUN apt-get update \
 && apt-get install -y --no-install-recommends libldap-2.5-0 libsasl2-2 libxml2 \
      libxmlsec1 libxmlsec1-openssl xmlsec1 \
 && rm -rf /var/lib/apt/lists/* \
 && useradd --system --uid 10001 --home-dir /app broker
WORKDIR /app
COPY --from=build /wheels /wheels
RUN pip install --no-cache-dir --no-index --find-links=/wheels /wheels/*.whl && rm -rf /wheels
COPY --chown=broker:broker . .
ENV PYTHONUNBUFFERED=1 DJANGO_SETTINGS_MODULE=broker.settings
RUN DJANGO_DEBUG=true python manage.py collectstatic --no-input -v0
USER 10001
EXPOSE 8000
HEALTHCHECK --interval=30s --timeout=3s CMD ["python", "-c", "import urllib.request; urllib.request.urlopen('http://127.0.0.1:8000/healthz', timeout=2)"]
CMD ["gunicorn", "broker.wsgi", "-c", "gunicorn.conf.py", "-b", "0.0.0.0:8000"]
