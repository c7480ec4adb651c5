// Warm hello: the smallest useful function. Same text deployed to Nimbus and workerd.
export default {
  async fetch() {
    return new Response('hello');
  },
};
