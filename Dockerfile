# Madoguchi: the service image (issue #18). Non-root, slim; the Japanese font (for rendered rich-menu
# images and QR sheets) and the Sudachi dictionary (sudachidict-core, a PyPI wheel) are inside, so
# nothing is downloaded at run time.
#   docker build -t madoguchi .
#   docker compose up -d          (compose.yaml: PostgreSQL + the service)
FROM python:3.11-slim-bookworm AS build
WORKDIR /src
RUN python -m venv /opt/madoguchi
COPY . .
RUN /opt/madoguchi/bin/pip install --no-cache-dir .

FROM python:3.11-slim-bookworm
RUN apt-get update \
 && apt-get install --no-install-recommends -y fonts-noto-cjk postgresql-client tini \
 && rm -rf /var/lib/apt/lists/* \
 && useradd --system --create-home --home-dir /srv/madoguchi madoguchi
COPY --from=build /opt/madoguchi /opt/madoguchi
COPY --from=build /src/content /srv/madoguchi/content
COPY alembic.ini /srv/madoguchi/
WORKDIR /srv/madoguchi
USER madoguchi
ENV PATH=/opt/madoguchi/bin:$PATH PYTHONUNBUFFERED=1 HOST=0.0.0.0 PORT=8000
EXPOSE 8000
HEALTHCHECK --interval=30s --timeout=5s --retries=3 \
  CMD python -c "import urllib.request,sys; sys.exit(0 if urllib.request.urlopen('http://127.0.0.1:8000/healthz', timeout=4).status == 200 else 1)"
ENTRYPOINT ["tini", "--"]
CMD ["python", "-m", "bot", "serve"]
