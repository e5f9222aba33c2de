// Image names the manifests, Dockerfiles, workflows and docs must agree on.

/** The image this repository builds for the `moderation-worker` process (risk analysis). */
export const WORKER_IMAGE = 'ghcr.io/sourcelocation/geoduels-risk-analysis-worker';

/** The fake risk engine's image (k3d and CI only). */
export const FAKE_ENGINE_IMAGE = 'ghcr.io/sourcelocation/geoduels-fake-risk-engine';

/**
 * Production's Go moderation worker, which keeps running beside ours and delivers its own
 * notifications: nothing here may build, push or pin an image under its name.
 */
export const PRODUCTION_GO_WORKER_IMAGE = 'ghcr.io/sourcelocation/geoduels-moderation-worker';
