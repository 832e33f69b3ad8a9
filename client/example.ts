import { createLinkcacheClient } from './index.ts';

const api = createLinkcacheClient('http://127.0.0.1:3000');
const { data, error, response } = await api.GET('/api/profiles/{username}', {
  params: { path: { username: 'demo' } },
});
if (data) {
  const titles = data.links.map((link) => link.title);
  console.log(data.displayName, titles);
} else {
  console.error(response.status, error.error.code); // e.g. 404 PROFILE_NOT_FOUND
}
