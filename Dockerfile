# The slipway image: nginx under slipway as PID 1, with sample migrations. It is both the demo
# and the template to copy: replace nginx and /app/migrations with your server and your schema.
#
#   docker build -t slipway .
#   docker run --rm -e DATABASE_URL=postgresql://... slipway --upgrade   # migrations, once
#   docker run -d -p 8080:8080 -e DATABASE_URL=postgresql://... slipway  # nginx, gated on them

# ---- build: slipway from source, with Debian's meson and -dev packages ----------------------
FROM debian:bookworm-slim AS build
RUN apt-get update \
 && apt-get install -y --no-install-recommends \
        gcc libc6-dev meson ninja-build pkg-config \
        libuv1-dev libinih-dev libpq-dev libssl-dev libpg-query-dev libprotobuf-c-dev \
 && rm -rf /var/lib/apt/lists/*
WORKDIR /src
COPY . .
# Only the installed files (the binary, the man page) are built: the tests stay out of the image.
RUN meson setup --buildtype=release build \
 && ninja -C build slipway \
 && meson install -C build --no-rebuild --strip --destdir /out

# ---- runtime ----------------------------------------------------------------------------------
FROM debian:bookworm-slim
# libpq5 and libssl3 are not linked but dlopen()ed by slipway the first time it needs the
# database, so nothing but a failing upgrade would notice if they were missing: keep them.
# libpg-query1504.0 likewise, for lint in `slipway check` and at the start of --upgrade
# (without it lint is skipped with a warning).
# policy-rc.d stops the nginx package from starting the service during the build (with
# `--network host` or chroot isolation a started nginx would listen on the build host).
# Everything that runs (slipway, nginx, `slipway health`) runs as www-data: the directories
# chowned here and /tmp are the only ones it writes to, so they are also the only volumes a
# read-only root filesystem needs (tests/ship/docker.sh runs it so). The container log is
# stdout/stderr, as with the official nginx image.
RUN printf '#!/bin/sh\nexit 101\n' >/usr/sbin/policy-rc.d && chmod +x /usr/sbin/policy-rc.d \
 && apt-get update \
 && apt-get install -y --no-install-recommends \
        libuv1 libinih1 libpq5 libssl3 libpg-query1504.0 ca-certificates nginx-light \
 && rm -rf /var/lib/apt/lists/* /usr/sbin/policy-rc.d /etc/nginx/sites-enabled/default \
 && mkdir -p /run/slipway /run/nginx /var/lib/nginx \
 && chown www-data:www-data /run/slipway /run/nginx /var/lib/nginx \
 && ln -sf /dev/stdout /var/log/nginx/access.log \
 && ln -sf /dev/stderr /var/log/nginx/error.log
COPY --from=build /out/usr/local/ /usr/local/
COPY entrypoint/slipway.ini /etc/slipway/slipway.ini
COPY entrypoint/migrations/ /app/migrations/
COPY entrypoint/nginx/nginx.conf /etc/nginx/nginx.conf
COPY entrypoint/nginx/index.html /var/www/html/index.html
# Fail the build, not the deployment, on a broken config or migrations directory (and on lint
# errors).
RUN slipway check

# Numeric, so that Kubernetes' runAsNonRoot can verify it (33 is www-data on Debian).
USER 33:33
WORKDIR /app
EXPOSE 8080
# nginx's graceful stop: finish the requests in flight. `docker stop` sends it to slipway, which
# forwards it to nginx and exits with nginx's exit code.
STOPSIGNAL SIGQUIT
# Exit 0 once the schema is at the version this image needs; answered by the running
# supervisor over /run/slipway/health.sock, without a database connection.
HEALTHCHECK --interval=10s --timeout=5s --start-period=30s --retries=3 CMD ["slipway", "health"]
ENTRYPOINT ["slipway"]
CMD ["nginx", "-g", "daemon off;"]
