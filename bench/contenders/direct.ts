// The ceiling: the load generator talks to the upstream itself, with no proxy in between.
// In a scenario with several upstreams it uses the first; route features do not apply.
import type { Contender } from './types.js';

export const direct: Contender = {
  name: 'direct',
  unavailable: () => null,
  start: async (input) => ({
    name: 'direct',
    origin: `http://${input.upstreams[0]}`,
    pids: [],
    stop: async () => {},
  }),
};
