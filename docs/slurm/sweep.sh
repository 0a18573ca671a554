#!/bin/bash
# A sweep as a Slurm job array: each array task runs one shard, a dependent job merges them.
#   sbatch docs/slurm/sweep.sh            # submits the 16 shards
#   sbatch --dependency=afterok:<JOBID> --wrap \
#     "flowgap merge out/part-* --out out/merged"
#SBATCH --job-name=flowgap-sweep
#SBATCH --array=0-15
#SBATCH --cpus-per-task=8
#SBATCH --time=02:00:00
#SBATCH --output=logs/sweep-%A_%a.log
set -euo pipefail
N=16   # must match --array=0-(N-1)
flowgap sweep himmelblau_basin_grid \
  --grid 'init.point[0]=-6:6:1024' --grid 'init.point[1]=-6:6:1024' \
  --shard "${SLURM_ARRAY_TASK_ID}/${N}" --jobs "${SLURM_CPUS_PER_TASK}" --quiet \
  --out "out/part-${SLURM_ARRAY_TASK_ID}"
