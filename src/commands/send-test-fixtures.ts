/**
 * Argo CD Applications for `send-test`, trimmed copies of the project fixtures (fixtures/apps/*.json):
 * the fields the contract-v1 template reads, in the states an alert is about.
 */
export const SAMPLE_APPLICATIONS = {
  "presync-job-failed": {
    "metadata": {
      "name": "payments-api",
      "namespace": "argocd",
      "uid": "3f6c1a52-8d0e-4b7a-9a51-0c2f5e9d7b11",
      "labels": {
        "team": "payments",
        "env": "production"
      },
      "annotations": {
        "notifications.argoproj.io/subscribe.on-hook-failed.hook-alerts": "team-payments"
      }
    },
    "spec": {
      "project": "payments",
      "destination": {
        "server": "https://kubernetes.default.svc",
        "namespace": "payments"
      },
      "source": {
        "repoURL": "https://github.com/example-org/payments-deploy.git",
        "path": "overlays/production",
        "targetRevision": "main"
      }
    },
    "status": {
      "operationState": {
        "operation": {
          "initiatedBy": {
            "automated": true
          },
          "retry": {
            "limit": 2,
            "backoff": {
              "duration": "5s",
              "factor": 2,
              "maxDuration": "3m"
            }
          },
          "sync": {
            "revision": "9b1f0c7e4d2a6b8c0e1f3a5b7c9d2e4f6a8b0c1d",
            "prune": true,
            "syncOptions": [
              "CreateNamespace=true"
            ]
          }
        },
        "phase": "Failed",
        "message": "one or more synchronization tasks completed unsuccessfully (retried 2 times).",
        "retryCount": 2,
        "startedAt": "2026-11-20T14:02:31Z",
        "finishedAt": "2026-11-20T14:07:09Z",
        "syncResult": {
          "revision": "9b1f0c7e4d2a6b8c0e1f3a5b7c9d2e4f6a8b0c1d",
          "source": {
            "repoURL": "https://github.com/example-org/payments-deploy.git",
            "path": "overlays/production",
            "targetRevision": "main"
          },
          "resources": [
            {
              "group": "",
              "version": "v1",
              "kind": "Secret",
              "namespace": "payments",
              "name": "db-migration-credentials",
              "status": "Synced",
              "message": "secret/db-migration-credentials created",
              "hookType": "PreSync",
              "hookPhase": "Succeeded",
              "syncPhase": "PreSync"
            },
            {
              "group": "batch",
              "version": "v1",
              "kind": "Job",
              "namespace": "payments",
              "name": "db-migrate",
              "status": "Synced",
              "message": "Job has reached the specified backoff limit",
              "hookType": "PreSync",
              "hookPhase": "Failed",
              "syncPhase": "PreSync",
              "images": [
                "ghcr.io/example-org/payments-migrations:2.41.0"
              ]
            }
          ]
        }
      },
      "sync": {
        "status": "OutOfSync",
        "revision": "9b1f0c7e4d2a6b8c0e1f3a5b7c9d2e4f6a8b0c1d"
      },
      "health": {
        "status": "Healthy"
      }
    }
  },
  "presync-job-retrying": {
    "metadata": {
      "name": "payments-api",
      "namespace": "argocd",
      "uid": "3f6c1a52-8d0e-4b7a-9a51-0c2f5e9d7b11",
      "labels": {
        "team": "payments",
        "env": "production"
      },
      "annotations": {
        "notifications.argoproj.io/subscribe.on-hook-failed.hook-alerts": "team-payments"
      }
    },
    "spec": {
      "project": "payments",
      "destination": {
        "server": "https://kubernetes.default.svc",
        "namespace": "payments"
      },
      "source": {
        "repoURL": "https://github.com/example-org/payments-deploy.git",
        "path": "overlays/production",
        "targetRevision": "main"
      }
    },
    "status": {
      "operationState": {
        "operation": {
          "initiatedBy": {
            "automated": true
          },
          "retry": {
            "limit": 2,
            "backoff": {
              "duration": "5s",
              "factor": 2,
              "maxDuration": "3m"
            }
          },
          "sync": {
            "revision": "9b1f0c7e4d2a6b8c0e1f3a5b7c9d2e4f6a8b0c1d",
            "prune": true,
            "syncOptions": [
              "CreateNamespace=true"
            ]
          }
        },
        "phase": "Running",
        "message": "one or more synchronization tasks completed unsuccessfully. Retrying attempt #1 at 2:02PM.",
        "retryCount": 1,
        "startedAt": "2026-11-20T14:02:31Z",
        "finishedAt": "2026-11-20T14:02:58Z",
        "syncResult": {
          "revision": "9b1f0c7e4d2a6b8c0e1f3a5b7c9d2e4f6a8b0c1d",
          "source": {
            "repoURL": "https://github.com/example-org/payments-deploy.git",
            "path": "overlays/production",
            "targetRevision": "main"
          },
          "resources": [
            {
              "group": "",
              "version": "v1",
              "kind": "Secret",
              "namespace": "payments",
              "name": "db-migration-credentials",
              "status": "Synced",
              "message": "secret/db-migration-credentials created",
              "hookType": "PreSync",
              "hookPhase": "Succeeded",
              "syncPhase": "PreSync"
            },
            {
              "group": "batch",
              "version": "v1",
              "kind": "Job",
              "namespace": "payments",
              "name": "db-migrate",
              "status": "Synced",
              "message": "Job has reached the specified backoff limit",
              "hookType": "PreSync",
              "hookPhase": "Failed",
              "syncPhase": "PreSync",
              "images": [
                "ghcr.io/example-org/payments-migrations:2.41.0"
              ]
            }
          ]
        }
      },
      "sync": {
        "status": "OutOfSync",
        "revision": "9b1f0c7e4d2a6b8c0e1f3a5b7c9d2e4f6a8b0c1d"
      },
      "health": {
        "status": "Healthy"
      }
    }
  },
  "presync-job-running": {
    "metadata": {
      "name": "payments-api",
      "namespace": "argocd",
      "uid": "3f6c1a52-8d0e-4b7a-9a51-0c2f5e9d7b11",
      "labels": {
        "team": "payments",
        "env": "production"
      },
      "annotations": {
        "notifications.argoproj.io/subscribe.on-hook-failed.hook-alerts": "team-payments"
      }
    },
    "spec": {
      "project": "payments",
      "destination": {
        "server": "https://kubernetes.default.svc",
        "namespace": "payments"
      },
      "source": {
        "repoURL": "https://github.com/example-org/payments-deploy.git",
        "path": "overlays/production",
        "targetRevision": "main"
      }
    },
    "status": {
      "operationState": {
        "operation": {
          "initiatedBy": {
            "automated": true
          },
          "retry": {
            "limit": 2,
            "backoff": {
              "duration": "5s",
              "factor": 2,
              "maxDuration": "3m"
            }
          },
          "sync": {
            "revision": "9b1f0c7e4d2a6b8c0e1f3a5b7c9d2e4f6a8b0c1d",
            "prune": true,
            "syncOptions": [
              "CreateNamespace=true"
            ]
          }
        },
        "phase": "Running",
        "message": "waiting for completion of hook batch/Job/db-migrate",
        "retryCount": 0,
        "startedAt": "2026-11-20T14:02:31Z",
        "syncResult": {
          "revision": "9b1f0c7e4d2a6b8c0e1f3a5b7c9d2e4f6a8b0c1d",
          "source": {
            "repoURL": "https://github.com/example-org/payments-deploy.git",
            "path": "overlays/production",
            "targetRevision": "main"
          },
          "resources": [
            {
              "group": "",
              "version": "v1",
              "kind": "Secret",
              "namespace": "payments",
              "name": "db-migration-credentials",
              "status": "Synced",
              "message": "secret/db-migration-credentials created",
              "hookType": "PreSync",
              "hookPhase": "Succeeded",
              "syncPhase": "PreSync"
            },
            {
              "group": "batch",
              "version": "v1",
              "kind": "Job",
              "namespace": "payments",
              "name": "db-migrate",
              "status": "Synced",
              "message": "",
              "hookType": "PreSync",
              "hookPhase": "Running",
              "syncPhase": "PreSync",
              "images": [
                "ghcr.io/example-org/payments-migrations:2.41.0"
              ]
            }
          ]
        }
      },
      "sync": {
        "status": "OutOfSync",
        "revision": "9b1f0c7e4d2a6b8c0e1f3a5b7c9d2e4f6a8b0c1d"
      },
      "health": {
        "status": "Healthy"
      }
    }
  },
  "multi-source-two-failed-hooks": {
    "metadata": {
      "name": "orders",
      "namespace": "team-orders",
      "uid": "a0d9e3c4-1b2f-4e6a-8c7d-5f4e3d2c1b0a",
      "labels": {
        "team": "orders",
        "env": "staging"
      },
      "annotations": {
        "notifications.argoproj.io/subscribe.on-hook-failed.hook-alerts": "team-orders;platform-oncall"
      }
    },
    "spec": {
      "project": "orders",
      "destination": {
        "name": "eu-west-staging",
        "namespace": "orders"
      },
      "sources": [
        {
          "repoURL": "https://gitlab.example.com/orders/deploy.git",
          "path": "chart",
          "targetRevision": "v3.2.0",
          "helm": {
            "valueFiles": [
              "$values/staging.yaml"
            ]
          }
        },
        {
          "repoURL": "https://gitlab.example.com/orders/values.git",
          "targetRevision": "main",
          "ref": "values"
        }
      ]
    },
    "status": {
      "operationState": {
        "operation": {
          "initiatedBy": {
            "username": "admin"
          },
          "sync": {
            "revisions": [
              "4c1d2e3f5a6b7c8d9e0f1a2b3c4d5e6f7a8b9c0d",
              "e5f6a7b8c9d0e1f2a3b4c5d6e7f8a9b0c1d2e3f4"
            ]
          }
        },
        "phase": "Failed",
        "message": "one or more synchronization tasks completed unsuccessfully",
        "retryCount": 0,
        "startedAt": "2026-11-21T08:00:00Z",
        "finishedAt": "2026-11-21T08:03:12Z",
        "syncResult": {
          "revisions": [
            "4c1d2e3f5a6b7c8d9e0f1a2b3c4d5e6f7a8b9c0d",
            "e5f6a7b8c9d0e1f2a3b4c5d6e7f8a9b0c1d2e3f4"
          ],
          "sources": [
            {
              "repoURL": "https://gitlab.example.com/orders/deploy.git",
              "path": "chart",
              "targetRevision": "v3.2.0",
              "helm": {
                "valueFiles": [
                  "$values/staging.yaml"
                ]
              }
            },
            {
              "repoURL": "https://gitlab.example.com/orders/values.git",
              "targetRevision": "main",
              "ref": "values"
            }
          ],
          "resources": [
            {
              "group": "batch",
              "version": "v1",
              "kind": "Job",
              "namespace": "orders",
              "name": "orders-schema-migrate-4c1d2e3-presync-1795248000",
              "status": "Synced",
              "message": "Job was active longer than specified deadline",
              "hookType": "PreSync",
              "hookPhase": "Failed",
              "syncPhase": "PreSync"
            },
            {
              "group": "batch",
              "version": "v1",
              "kind": "Job",
              "namespace": "orders-search",
              "name": "search-reindex",
              "status": "Synced",
              "message": "Job has reached the specified backoff limit",
              "hookType": "PreSync",
              "hookPhase": "Failed",
              "syncPhase": "PreSync"
            },
            {
              "group": "",
              "version": "v1",
              "kind": "Pod",
              "namespace": "orders",
              "name": "cache-warmup",
              "status": "Synced",
              "message": "",
              "hookType": "PreSync",
              "hookPhase": "Succeeded",
              "syncPhase": "PreSync"
            }
          ]
        }
      },
      "sync": {
        "status": "OutOfSync",
        "revisions": [
          "4c1d2e3f5a6b7c8d9e0f1a2b3c4d5e6f7a8b9c0d",
          "e5f6a7b8c9d0e1f2a3b4c5d6e7f8a9b0c1d2e3f4"
        ]
      },
      "health": {
        "status": "Healthy"
      }
    }
  },
  "postsync-pod-failed": {
    "metadata": {
      "name": "payments-api",
      "namespace": "argocd",
      "uid": "3f6c1a52-8d0e-4b7a-9a51-0c2f5e9d7b11",
      "labels": {
        "team": "payments",
        "env": "production"
      },
      "annotations": {
        "notifications.argoproj.io/subscribe.on-hook-failed.hook-alerts": "team-payments"
      }
    },
    "spec": {
      "project": "payments",
      "destination": {
        "server": "https://kubernetes.default.svc",
        "namespace": "payments"
      },
      "source": {
        "repoURL": "https://github.com/example-org/payments-deploy.git",
        "path": "overlays/production",
        "targetRevision": "main"
      }
    },
    "status": {
      "operationState": {
        "operation": {
          "initiatedBy": {
            "automated": true
          },
          "retry": {
            "limit": 2,
            "backoff": {
              "duration": "5s",
              "factor": 2,
              "maxDuration": "3m"
            }
          },
          "sync": {
            "revision": "9b1f0c7e4d2a6b8c0e1f3a5b7c9d2e4f6a8b0c1d",
            "prune": true,
            "syncOptions": [
              "CreateNamespace=true"
            ]
          }
        },
        "phase": "Failed",
        "message": "one or more synchronization tasks completed unsuccessfully",
        "retryCount": 0,
        "startedAt": "2026-11-20T14:02:31Z",
        "finishedAt": "2026-11-20T14:07:09Z",
        "syncResult": {
          "revision": "9b1f0c7e4d2a6b8c0e1f3a5b7c9d2e4f6a8b0c1d",
          "source": {
            "repoURL": "https://github.com/example-org/payments-deploy.git",
            "path": "overlays/production",
            "targetRevision": "main"
          },
          "resources": [
            {
              "group": "",
              "version": "v1",
              "kind": "Secret",
              "namespace": "payments",
              "name": "db-migration-credentials",
              "status": "Synced",
              "message": "secret/db-migration-credentials created",
              "hookType": "PreSync",
              "hookPhase": "Succeeded",
              "syncPhase": "PreSync"
            },
            {
              "group": "batch",
              "version": "v1",
              "kind": "Job",
              "namespace": "payments",
              "name": "db-migrate",
              "status": "Synced",
              "message": "Reached expected number of succeeded pods",
              "hookType": "PreSync",
              "hookPhase": "Succeeded",
              "syncPhase": "PreSync"
            },
            {
              "group": "apps",
              "version": "v1",
              "kind": "Deployment",
              "namespace": "payments",
              "name": "payments-api",
              "status": "Synced",
              "message": "deployment.apps/payments-api configured",
              "hookPhase": "Running",
              "syncPhase": "Sync"
            },
            {
              "group": "",
              "version": "v1",
              "kind": "Pod",
              "namespace": "payments",
              "name": "smoke-test",
              "status": "Synced",
              "message": "container \"main\" failed with exit code 1",
              "hookType": "PostSync",
              "hookPhase": "Failed",
              "syncPhase": "PostSync"
            }
          ]
        }
      },
      "sync": {
        "status": "OutOfSync",
        "revision": "9b1f0c7e4d2a6b8c0e1f3a5b7c9d2e4f6a8b0c1d"
      },
      "health": {
        "status": "Healthy"
      }
    }
  },
  "tricky-strings": {
    "metadata": {
      "name": "legacy-billing",
      "namespace": "argocd",
      "uid": "3f6c1a52-8d0e-4b7a-9a51-0c2f5e9d7b11",
      "labels": {
        "team": "payments",
        "env": "production",
        "note": "quote-\"-and-\\"
      },
      "annotations": {
        "notifications.argoproj.io/subscribe.on-hook-failed.hook-alerts": "team-payments"
      }
    },
    "spec": {
      "project": "payments",
      "destination": {
        "server": "https://kubernetes.default.svc",
        "namespace": "payments"
      },
      "source": {
        "repoURL": "https://github.com/example-org/payments-deploy.git",
        "path": "overlays/production",
        "targetRevision": "main"
      }
    },
    "status": {
      "operationState": {
        "operation": {
          "initiatedBy": {
            "automated": true
          },
          "retry": {
            "limit": 2,
            "backoff": {
              "duration": "5s",
              "factor": 2,
              "maxDuration": "3m"
            }
          },
          "sync": {
            "revision": "9b1f0c7e4d2a6b8c0e1f3a5b7c9d2e4f6a8b0c1d",
            "prune": true,
            "syncOptions": [
              "CreateNamespace=true"
            ]
          }
        },
        "phase": "Failed",
        "message": "one or more synchronization tasks completed unsuccessfully, reason: quote \" backslash \\ newline\nsecond line {{ .app.metadata.name }} <!channel> <https://evil.example|click> & ünïcødé 🚀",
        "retryCount": 2,
        "startedAt": "2026-11-20T14:02:31Z",
        "finishedAt": "2026-11-20T14:07:09Z",
        "syncResult": {
          "revision": "9b1f0c7e4d2a6b8c0e1f3a5b7c9d2e4f6a8b0c1d",
          "source": {
            "repoURL": "https://github.com/example-org/payments-deploy.git",
            "path": "overlays/production",
            "targetRevision": "main"
          },
          "resources": [
            {
              "group": "",
              "version": "v1",
              "kind": "Secret",
              "namespace": "payments",
              "name": "db-migration-credentials",
              "status": "Synced",
              "message": "secret/db-migration-credentials created",
              "hookType": "PreSync",
              "hookPhase": "Succeeded",
              "syncPhase": "PreSync"
            },
            {
              "group": "batch",
              "version": "v1",
              "kind": "Job",
              "namespace": "payments",
              "name": "db-migrate",
              "status": "Synced",
              "message": "Job has reached the specified backoff limit: \"pq: password authentication failed for user \\\"app\\\"\"\n\t{{end}} `code` *bold* <!here>",
              "hookType": "PreSync",
              "hookPhase": "Failed",
              "syncPhase": "PreSync",
              "images": [
                "ghcr.io/example-org/payments-migrations:2.41.0"
              ]
            }
          ]
        }
      },
      "sync": {
        "status": "OutOfSync",
        "revision": "9b1f0c7e4d2a6b8c0e1f3a5b7c9d2e4f6a8b0c1d"
      },
      "health": {
        "status": "Healthy"
      }
    }
  },
  "sync-succeeded": {
    "metadata": {
      "name": "payments-api",
      "namespace": "argocd",
      "uid": "3f6c1a52-8d0e-4b7a-9a51-0c2f5e9d7b11",
      "labels": {
        "team": "payments",
        "env": "production"
      },
      "annotations": {
        "notifications.argoproj.io/subscribe.on-hook-failed.hook-alerts": "team-payments"
      }
    },
    "spec": {
      "project": "payments",
      "destination": {
        "server": "https://kubernetes.default.svc",
        "namespace": "payments"
      },
      "source": {
        "repoURL": "https://github.com/example-org/payments-deploy.git",
        "path": "overlays/production",
        "targetRevision": "main"
      }
    },
    "status": {
      "operationState": {
        "operation": {
          "initiatedBy": {
            "username": "jane.doe@example.org"
          },
          "retry": {
            "limit": 2,
            "backoff": {
              "duration": "5s",
              "factor": 2,
              "maxDuration": "3m"
            }
          },
          "sync": {
            "revision": "9b1f0c7e4d2a6b8c0e1f3a5b7c9d2e4f6a8b0c1d",
            "prune": true,
            "syncOptions": [
              "CreateNamespace=true"
            ]
          }
        },
        "phase": "Succeeded",
        "message": "successfully synced (all tasks run)",
        "retryCount": 0,
        "startedAt": "2026-11-20T15:30:02Z",
        "finishedAt": "2026-11-20T15:31:40Z",
        "syncResult": {
          "revision": "9b1f0c7e4d2a6b8c0e1f3a5b7c9d2e4f6a8b0c1d",
          "source": {
            "repoURL": "https://github.com/example-org/payments-deploy.git",
            "path": "overlays/production",
            "targetRevision": "main"
          },
          "resources": [
            {
              "group": "",
              "version": "v1",
              "kind": "Secret",
              "namespace": "payments",
              "name": "db-migration-credentials",
              "status": "Synced",
              "message": "secret/db-migration-credentials created",
              "hookType": "PreSync",
              "hookPhase": "Succeeded",
              "syncPhase": "PreSync"
            },
            {
              "group": "batch",
              "version": "v1",
              "kind": "Job",
              "namespace": "payments",
              "name": "db-migrate",
              "status": "Synced",
              "message": "Reached expected number of succeeded pods",
              "hookType": "PreSync",
              "hookPhase": "Succeeded",
              "syncPhase": "PreSync",
              "images": [
                "ghcr.io/example-org/payments-migrations:2.41.0"
              ]
            },
            {
              "group": "apps",
              "version": "v1",
              "kind": "Deployment",
              "namespace": "payments",
              "name": "payments-api",
              "status": "Synced",
              "message": "deployment.apps/payments-api configured",
              "hookPhase": "Running",
              "syncPhase": "Sync"
            }
          ]
        }
      },
      "sync": {
        "status": "Synced",
        "revision": "9b1f0c7e4d2a6b8c0e1f3a5b7c9d2e4f6a8b0c1d"
      },
      "health": {
        "status": "Healthy"
      }
    }
  }
} as const;
