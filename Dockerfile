# modyard in a container: the single-file bundle (`deno task bundle`) on the Deno image,
# run as the image's non-root user `deno`, with the embedded KV store on a volume.
#
#   docker build -t modyard .
#   docker run -d --name modyard -p 8000:8000 -v modyard-data:/data --stop-timeout 40 modyard
#   docker exec modyard /app/modyard user create alice          # admin commands: same file
#   docker exec modyard /app/modyard token create alice --scope write
#
# `docker stop` sends SIGTERM: uploads and downloads in flight get MODYARD_SHUTDOWN_GRACE
# seconds (30) to finish, the download counts are written and the store is closed. Docker
# kills the container 10 s after SIGTERM unless told otherwise: keep --stop-timeout (compose:
# stop_grace_period) above the grace. Behind a TLS proxy on the same host, publish the port on
# 127.0.0.1 only and set MODYARD_TRUSTED_PROXY to the proxy's address as the container sees it.
#
# Verified on the development machine: the bundle built by the same command, run with the
# same `deno run` flags over a store directory it alone may read and write, serves, publishes,
# answers its CLI and a `go install` (tests/bundle_test.ts). NOT verified: building or running
# this image (no Docker engine there).

FROM denoland/deno:2.9.6 AS bundle
WORKDIR /src
COPY deno.json deno.lock main.ts serve.ts ./
COPY src ./src
RUN deno task bundle

FROM denoland/deno:2.9.6
# One file, one wrapper: `/app/modyard serve`, `/app/modyard user create …` (the image's
# entrypoint script runs a command it does not know as is).
COPY --from=bundle /src/dist/modyard.js /app/modyard.js
COPY --from=bundle /src/dist/readme_worker.js /app/readme_worker.js
RUN printf '%s\n' '#!/bin/sh' \
      'exec deno run --unstable-kv --allow-net --allow-env --allow-read=/data,/app/readme_worker.js --allow-write=/data /app/modyard.js "$@"' \
      > /app/modyard \
 && chmod 0755 /app/modyard \
 && mkdir -p /data && chown deno:deno /data && chmod 0700 /data

USER deno
VOLUME /data
EXPOSE 8000
ENV MODYARD_KV=/data/modyard.kv \
    MODYARD_PORT=8000 \
    MODYARD_HOSTNAME=0.0.0.0 \
    MODYARD_SHUTDOWN_GRACE=30 \
    MODYARD_LOG_FORMAT=json
STOPSIGNAL SIGTERM
HEALTHCHECK --interval=30s --timeout=5s --start-period=10s --retries=3 \
  CMD ["deno", "eval", "const r = await fetch('http://127.0.0.1:8000/healthz'); Deno.exit(r.ok ? 0 : 1)"]
CMD ["/app/modyard", "serve"]
