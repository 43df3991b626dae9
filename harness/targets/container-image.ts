// The image `--sandbox container` runs when --image is not given: INSTANET_CONTAINER_IMAGE (set by
// harness/tools/container-engine.sh to the locally built instanet-python:local), else the official
// Python image a TA's Docker or Podman can pull. Kept apart so the CLI's flag parsing does not load
// testcontainers.
export const DEFAULT_CONTAINER_IMAGE = process.env.INSTANET_CONTAINER_IMAGE || 'python:3.12-slim';
