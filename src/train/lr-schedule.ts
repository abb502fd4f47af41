/** Multi-step schedule: the LR factor after `epoch` completed epochs (gamma per milestone passed). */
export function multiStepFactor(
  epoch: number,
  milestones: readonly number[],
  gamma: number,
): number {
  return gamma ** milestones.filter((m) => epoch >= m).length;
}
