# Gradescope-style autograder image: /autograder/{source,submission,results}, entry /autograder/run_autograder,
# grader in /autograder/venv (the same layout as Gradescope with autograder.zip's setup.sh).
#
# Air-gapped (CI here): .ci/base-image && .ci/wheelhouse
#   docker build --build-arg BASE_IMAGE=autograder-base:bookworm -t autograder .
# Real world (PyPI):    WHEELHOUSE_DEPS=0 .ci/wheelhouse
#   docker build --build-arg AUTOGRADER_PIP_ARGS="--extra-index-url https://download.pytorch.org/whl/cpu" -t autograder .
# build/wheelhouse comes from .ci/wheelhouse: requirements.txt, dependency wheels, project/ wheel.
# /autograder/source holds only the grading bundle of ASSIGNMENT: no solutions, samples or master notebook.
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
# WHEELHOUSE: a wheelhouse made with the project's extras (WHEELHOUSE_EXTRAS=ray .ci/wheelhouse
# build/wheelhouse/ray) gives an image for Ray cluster nodes (`batch --ray`, see README).
FROM base AS venv
ARG AUTOGRADER_PIP_ARGS="--no-index"
ARG WHEELHOUSE=build/wheelhouse
COPY ${WHEELHOUSE}/requirements.txt ${WHEELHOUSE}/*.whl /wheels/
RUN python3 -m venv /autograder/venv \
    && /autograder/venv/bin/pip install --no-cache-dir --disable-pip-version-check \
       ${AUTOGRADER_PIP_ARGS} --find-links /wheels -r /wheels/requirements.txt

FROM base AS app
COPY --from=venv /autograder/venv /autograder/venv
# The project (changes often) on top: a small layer.
ARG WHEELHOUSE=build/wheelhouse
COPY ${WHEELHOUSE}/project/ /tmp/project/
RUN /autograder/venv/bin/pip install --no-cache-dir --disable-pip-version-check \
       --no-index --find-links /tmp/project autograder \
    && rm -rf /tmp/project
ENV PATH=/autograder/venv/bin:$PATH PYTHONUNBUFFERED=1

# The bundle is written in a throw-away stage: the authoring files never reach the image's layers.
FROM app AS bundle
ARG ASSIGNMENT=A2S1
COPY grading_config.yaml /src/
COPY assignments/ /src/assignments/
COPY solutions/ /src/solutions/
RUN python -m autograder.ship.bundle /src/grading_config.yaml "$ASSIGNMENT" /bundle

FROM app
# Student code runs as `student`; the grader's files and the results stay root-only.
ENV AUTOGRADER_USER=student AUTOGRADER_CONFIG=/autograder/source/grading_config.yaml
RUN useradd --system --uid 64000 --user-group --no-create-home --home-dir /nonexistent \
      --shell /usr/sbin/nologin student \
    && mkdir -p /autograder/submission /autograder/results \
    && chmod 0755 /autograder /autograder/submission
COPY --from=bundle /bundle/ /autograder/source/
COPY autograder/ship/templates/run_autograder /autograder/run_autograder
RUN chown -R root:root /autograder/source /autograder/results /autograder/run_autograder \
    && chmod 0700 /autograder/source /autograder/results \
    && chmod 0755 /autograder/run_autograder
WORKDIR /autograder
CMD ["/autograder/run_autograder"]
