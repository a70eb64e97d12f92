# modyard in a container: the server with its embedded KV store on a volume.
#   docker build -t modyard .
#   docker run -p 8000:8000 -v modyard-data:/app/data modyard
#   docker run --rm -v modyard-data:/app/data modyard task cli user create alice
# Written to match the deno tasks; not built on the development machines (no Docker engine).
FROM denoland/deno:2.9.6

WORKDIR /app
COPY deno.json deno.lock ./
COPY main.ts serve.ts ./
COPY src ./src
# Fetch and cache the npm dependency at build time so the container starts offline.
RUN deno install --frozen --entrypoint main.ts serve.ts \
 && mkdir -p /app/data && chown deno:deno /app/data

USER deno
VOLUME /app/data
EXPOSE 8000
ENV MODYARD_KV=/app/data/modyard.kv MODYARD_PORT=8000 MODYARD_HOSTNAME=0.0.0.0
HEALTHCHECK --interval=30s --timeout=5s \
  CMD ["deno", "eval", "const r = await fetch('http://127.0.0.1:8000/healthz'); Deno.exit(r.ok ? 0 : 1)"]
# The image's entrypoint runs `deno` with these arguments.
CMD ["task", "start"]
