# Gradescope-style autograder image: /autograder/{source,submission,results}, entry /autograder/run_autograder.
#
# Air-gapped (CI here): .ci/wheelhouse
#   docker build --build-arg BASE_IMAGE=autograder-base:bookworm .
# Real world (PyPI):    WHEELHOUSE_DEPS=0 .ci/wheelhouse
#   docker build --build-arg AUTOGRADER_PIP_ARGS="--extra-index-url https://download.pytorch.org/whl/cpu" .
# build/wheelhouse comes from .ci/wheelhouse: requirements.txt, dependency wheels, project/ wheel.
ARG BASE_IMAGE=ubuntu:22.04

FROM ${BASE_IMAGE} AS base
ENV LANG=C.UTF-8 DEBIAN_FRONTEND=noninteractive
# Skip apt when the base already has python3 with venv/ensurepip (the stand-in base does).
RUN if ! python3 -c 'import ensurepip, venv' 2>/dev/null; then \
      apt-get update \
      && apt-get install -y --no-install-recommends python3 python3-venv ca-certificates \
      && rm -rf /var/lib/apt/lists/*; \
    fi

# Dependencies (big, rarely change) in their own stage; the image gets the venv without the wheels.
FROM base AS venv
ARG AUTOGRADER_PIP_ARGS="--no-index"
COPY build/wheelhouse/requirements.txt build/wheelhouse/*.whl /wheels/
RUN python3 -m venv /opt/autograder-venv \
    && /opt/autograder-venv/bin/pip install --no-cache-dir --disable-pip-version-check \
       ${AUTOGRADER_PIP_ARGS} --find-links /wheels -r /wheels/requirements.txt

FROM base
COPY --from=venv /opt/autograder-venv /opt/autograder-venv
# The project (changes often) on top: a small layer.
COPY build/wheelhouse/project/ /tmp/project/
RUN /opt/autograder-venv/bin/pip install --no-cache-dir --disable-pip-version-check \
       --no-index --find-links /tmp/project autograder \
    && rm -rf /tmp/project
ENV PATH=/opt/autograder-venv/bin:$PATH PYTHONUNBUFFERED=1
# Student code runs as `student`; grader files and results stay root-only.
RUN useradd --system --user-group --no-create-home --home-dir /nonexistent \
      --shell /usr/sbin/nologin student \
    && mkdir -p /autograder/source /autograder/submission /autograder/results \
    && chmod 0755 /autograder /autograder/submission
# solutions/ is needed: the config names the solution files and validates that they exist.
COPY grading_config.yaml /autograder/source/
COPY assignments/ /autograder/source/assignments/
COPY solutions/ /autograder/source/solutions/
COPY docker/run_autograder /autograder/run_autograder
RUN chown -R root:root /autograder/source /autograder/results /autograder/run_autograder \
    && chmod 0700 /autograder/source /autograder/results \
    && chmod 0755 /autograder/run_autograder
WORKDIR /autograder
CMD ["/autograder/run_autograder"]
