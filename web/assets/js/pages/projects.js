// The projects page: every project you can see, with its deployments as live cards.

import {h, replace} from '../dom.js';
import {api} from '../api.js';
import {errorBox, spinner} from '../ui.js';
import {projectDeployments} from './deployment-cards.js';
import {openNewProjectDialog} from './new-project.js';

// Browsers open about six connections per server over HTTP/1.1: follow this many projects'
// status streams and poll the others, so that requests still get through.
const MAX_FOLLOWED = 3;

export function sourceText(project) {
  const source = project.source || {};
  if (source.kind === 'hosted') return 'Hosted repository';
  if (source.kind === 'local') return `Local: ${source.url || ''}`;
  return source.url || 'Mirrored';
}

function emptyState() {
  return h('div', {class: 'empty-state'},
    h('h2', null, 'No projects yet'),
    h('p', null, 'A project is a Git repository with a ', h('code', null, 'stackyard.yaml'),
      ' at its root. Create one from a Git URL, from a repository on the server, or as an empty ',
      'repository that you push to; then create deployments of it: development, staging or production.'),
    h('p', null, h('button', {type: 'button', class: 'button primary', onclick: openNewProjectDialog}, 'Create your first project')),
    h('p', {class: 'muted'}, 'From a terminal: ', h('code', null, 'yard projects create NAME --from URL'), '.'));
}

function projectSection(project, follow, lives) {
  const href = `/projects/${encodeURIComponent(project.name)}`;
  const headingId = `project-${project.name}`;
  const live = projectDeployments(project.name, {
    follow,
    empty: () => h('p', {class: 'muted empty-inline'}, 'No deployments yet. ',
      h('a', {href}, 'Open the project'), ' to create one.'),
  });
  lives.push(live);
  return h('section', {class: 'project-section', 'aria-labelledby': headingId},
    h('div', {class: 'section-head'},
      h('div', null,
        h('h2', {id: headingId}, h('a', {href}, project.name)),
        h('p', {class: 'muted small source-line'}, sourceText(project),
          project.refresh_error ? h('span', {class: 'text-red'}, ` · fetch failed: ${project.refresh_error}`) : null))),
    live.element);
}

export async function renderProjects(root, params, ctx) {
  ctx.setCrumbs([]);
  ctx.setTitle('Projects');
  const lives = [];
  const list = h('div', {class: 'project-list'}, spinner('Loading projects'));
  replace(root,
    h('div', {class: 'page-head'},
      h('h1', null, 'Projects'),
      h('div', {class: 'page-actions'},
        h('button', {type: 'button', class: 'button primary', onclick: openNewProjectDialog}, 'New project'))),
    list);
  let closed = false;
  const cleanup = () => {
    closed = true;
    lives.forEach((l) => l.close());
  };
  try {
    const {projects} = await api.get('/projects');
    if (closed) return cleanup;
    replace(list, projects.length
      ? projects.map((p, i) => projectSection(p, i < MAX_FOLLOWED, lives))
      : emptyState());
  } catch (e) {
    replace(list, errorBox(e));
  }
  return cleanup;
}
