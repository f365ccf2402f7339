// The floor workflows' one activity: returns at once (scripts/cost/floor-workflows.ts).
export const floorActivities = {
  async noop(step: string): Promise<number> {
    return step.length;
  },
};

export type FloorActivities = typeof floorActivities;
