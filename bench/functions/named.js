// One of many deployed functions: answers with its own name so routing can be checked.
const NAME = '__NAME__';
export default {
  async fetch() {
    return new Response('hello from ' + NAME);
  },
};
