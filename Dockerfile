# reconstruct as a container: `docker build -t reconstruct .` in a checkout, then
#   docker run --rm reconstruct --incident demo
#   docker run --rm -v reconstruct-state:/state -v "$PWD/reconstruct.toml:/config/reconstruct.toml:ro" \
#     -e PAGERDUTY_TOKEN -e SLACK_TOKEN -e GITHUB_TOKEN -e GRAFANA_TOKEN reconstruct watch --once
# The state file (and each run's evidence bundles beside it) lives in the /state volume (a bind
# mount must be owned by uid 10001); reconstruct.toml is read from /config (mounted read-only,
# found through /work/reconstruct.toml, a link to it). The working directory /work is the image
# user's, so `-o pm.md` works (mount a folder there to keep drafts). `serve` listens on 0.0.0.0:8080
# in the image (RECONSTRUCT_SERVE__HOST; publish it with -p 8080:8080). Tokens come from the
# environment.

ARG PYTHON_VERSION=3.11

# Stage 1: build the wheel from this checkout (the same wheel CI installs and tests).
FROM python:${PYTHON_VERSION}-slim AS build
ENV PIP_DISABLE_PIP_VERSION_CHECK=1 PIP_NO_CACHE_DIR=1
WORKDIR /src
COPY pyproject.toml README.md LICENSE ./
COPY reconstruct ./reconstruct
RUN pip wheel --no-deps --wheel-dir /wheels .

# Stage 2: only the installed wheel and its dependencies, run as a non-root user.
FROM python:${PYTHON_VERSION}-slim
ENV PYTHONDONTWRITEBYTECODE=1 \
    PYTHONUNBUFFERED=1 \
    PIP_DISABLE_PIP_VERSION_CHECK=1 \
    PIP_NO_CACHE_DIR=1
COPY --from=build /wheels /tmp/wheels
RUN pip install /tmp/wheels/incident_reconstruct-*.whl \
    && rm -rf /tmp/wheels \
    && groupadd --system --gid 10001 reconstruct \
    && useradd --system --uid 10001 --gid 10001 --create-home --home-dir /home/reconstruct \
       --shell /usr/sbin/nologin reconstruct \
    && mkdir -p /state /config /work \
    && chown reconstruct:reconstruct /state /work \
    && chmod 0700 /state \
    && ln -s /config/reconstruct.toml /work/reconstruct.toml
# Everything the tool keeps goes to the volume: the watch state and its bundles
# ([watch] state), and the evidence bundles of single runs (the user cache dir).
ENV RECONSTRUCT_WATCH__STATE=/state/watch.db \
    XDG_CACHE_HOME=/state/cache \
    HOME=/home/reconstruct \
    RECONSTRUCT_SERVE__HOST=0.0.0.0
# drafts (-o) are written here; ./reconstruct.toml links to the read-only /config mount
WORKDIR /work
VOLUME ["/state"]
# serve's [serve] port (the default); a container's loopback is unreachable, hence the host above
EXPOSE 8080
# numeric, so Kubernetes' runAsNonRoot can check it
USER 10001:10001
ENTRYPOINT ["reconstruct"]
CMD ["--help"]
