// The builds tab: the deployment's builds (state, commit, duration, progress of a running
// one), the live log of a build, cancel; and its releases, with rollback and promotion.

import {h, replace, field} from '../dom.js';
import {api, deploymentPath} from '../api.js';
import {colourBadge, errorBox, formatDuration, openDialog, spinner, timeElement, toast} from '../ui.js';
import {keepFocus} from './util.js';

const BUILD_COLOURS = {queued: 'yellow', running: 'yellow', succeeded: 'green', failed: 'red',
  cancelled: 'grey', interrupted: 'grey'};
const ACTIVE = new Set(['queued', 'running']);

function seconds(a, b) {
  if (!a) return null;
  return ((b ? new Date(b) : new Date()) - new Date(a)) / 1000;
}

export function renderBuilds(panel, ctx) {
  const buildsBox = h('section', {class: 'card dep-section', 'aria-labelledby': 'bl-builds'});
  const logBox = h('section', {class: 'card dep-section', 'aria-labelledby': 'bl-log', hidden: true});
  const releasesBox = h('section', {class: 'card dep-section', 'aria-labelledby': 'bl-releases'});
  replace(panel, h('div', {class: 'dep-builds'}, buildsBox, logBox, releasesBox));
  replace(buildsBox, h('h2', {id: 'bl-builds'}, 'Builds'), spinner('Loading builds'));
  replace(releasesBox, h('h2', {id: 'bl-releases'}, 'Releases'), spinner('Loading releases'));

  let stopped = false;
  let timer = null;
  let tick = null;
  let closeLog = null;
  let builds = [];
  let shownBuild = null;

  async function loadBuilds() {
    clearTimeout(timer);
    try {
      const answer = await api.get(`${ctx.path}/builds?limit=20`);
      if (stopped) return;
      builds = answer.builds || [];
      drawBuilds();
    } catch (e) {
      if (!stopped) replace(buildsBox, h('h2', {id: 'bl-builds'}, 'Builds'), errorBox(e));
    }
    // While a build is queued or running, look again soon; otherwise now and then.
    if (!stopped) timer = setTimeout(loadBuilds, builds.some((b) => ACTIVE.has(b.state)) ? 3000 : 15000);
  }

  async function loadReleases() {
    try {
      const answer = await api.get(`${ctx.path}/releases?limit=20`);
      if (!stopped) drawReleases(answer.releases || []);
    } catch (e) {
      if (!stopped) replace(releasesBox, h('h2', {id: 'bl-releases'}, 'Releases'), errorBox(e));
    }
  }

  // How far a running build is: its elapsed time against the last finished build's duration
  // (the build view has no per-image steps), shown as a bar that never claims to be done.
  function progressOf(build) {
    const elapsed = seconds(build.started_at);
    const last = builds.find((b) => b.state === 'succeeded' && b.started_at && b.finished_at);
    const expected = last ? seconds(last.started_at, last.finished_at) : null;
    if (build.state === 'queued') {
      return h('span', {class: 'muted'}, build.queue_position ? `queued, position ${build.queue_position}` : 'queued');
    }
    const bar = h('progress', {class: 'dep-progress', max: '100',
      'aria-label': `Build ${build.id} progress`});
    let text = `${formatDuration(elapsed)} so far`;
    if (expected && elapsed != null) {
      const pct = Math.min(95, Math.round((elapsed / expected) * 100));
      bar.value = pct;
      text += elapsed > expected ? `, longer than the last build (${formatDuration(expected)})`
        : `, about ${formatDuration(expected - elapsed)} left going by the last build`;
    }
    return h('span', {class: 'dep-progress-wrap'}, bar, h('span', {class: 'muted'}, ` ${text}`));
  }

  function drawBuilds() {
    const rows = builds.map((b) => h('tr', {dataset: {build: b.id}},
      h('td', {dataset: {label: 'Build'}}, h('strong', {}, `#${b.id}`)),
      h('td', {dataset: {label: 'State'}}, colourBadge(BUILD_COLOURS[b.state] || 'grey', b.state),
        b.error ? h('p', {class: 'dep-cert-error'}, b.error) : null),
      h('td', {dataset: {label: 'Commit'}}, h('code', {title: b.commit}, (b.commit || '').slice(0, 12)),
        b.reason ? h('p', {class: 'muted'}, b.reason) : null),
      h('td', {dataset: {label: 'Duration'}}, ACTIVE.has(b.state) ? h('span', {class: 'dep-progress-cell', dataset: {build: b.id}}, progressOf(b))
        : b.started_at ? formatDuration(seconds(b.started_at, b.finished_at)) : '—'),
      h('td', {dataset: {label: 'Queued'}}, timeElement(b.queued_at),
        b.requested_by ? h('span', {class: 'muted'}, ` by ${b.requested_by}`) : null),
      h('td', {class: 'dep-row-actions'},
        h('button', {type: 'button', class: 'button small', 'aria-label': `Log of build ${b.id}`,
          onclick: () => showLog(b)}, 'Log'),
        ACTIVE.has(b.state) ? h('button', {type: 'button', class: 'button small danger-outline', 'aria-label': `Cancel build ${b.id}`,
          onclick: () => cancel(b)}, 'Cancel') : null)));
    keepFocus(buildsBox, () => replace(buildsBox,
      h('div', {class: 'dep-section-head'}, h('h2', {id: 'bl-builds'}, 'Builds'),
        h('button', {type: 'button', class: 'button small', onclick: rebuild}, 'Rebuild now')),
      builds.length === 0 ? h('p', {class: 'muted'}, 'No builds yet.') : h('table', {class: 'dep-table stacked'},
        h('thead', {}, h('tr', {}, ['Build', 'State', 'Commit', 'Duration', 'Queued', h('span', {class: 'visually-hidden'}, 'Actions')]
          .map((c) => h('th', {scope: 'col'}, c)))),
        h('tbody', {}, rows))));
  }

  async function rebuild() {
    try {
      await api.post(`${ctx.path}/rebuild`);
      toast('A build of the branch head was queued', 'success');
      loadBuilds();
    } catch (e) {
      toast(e.message, 'error');
    }
  }

  async function cancel(b) {
    try {
      await api.post(`${ctx.path}/builds/${b.id}/cancel`);
      toast(`Build ${b.id} is being cancelled`, 'success');
      loadBuilds();
    } catch (e) {
      toast(e.message, 'error');
    }
  }

  // A build's log: followed as a stream while the build runs (the whole log, then pieces as
  // they come, then a done marker); a server without that stream is polled with offset/wait.
  function showLog(build) {
    if (closeLog) closeLog();
    closeLog = null;
    shownBuild = build.id;
    const pre = h('pre', {class: 'dep-pre dep-build-log', tabindex: '0', 'aria-label': `Log of build ${build.id}`});
    const state = h('p', {class: 'muted', role: 'status'}, 'Loading…');
    logBox.hidden = false;
    replace(logBox,
      h('div', {class: 'dep-section-head'},
        h('h2', {id: 'bl-log'}, `Log of build #${build.id}`),
        h('button', {type: 'button', class: 'button small', onclick: () => {
          if (closeLog) closeLog();
          closeLog = null;
          shownBuild = null;
          logBox.hidden = true;
        }}, 'Close log')),
      state, pre);
    logBox.scrollIntoView({block: 'nearest'});
    const write = (text) => {
      const stick = pre.scrollHeight - pre.scrollTop - pre.clientHeight < 32;
      pre.append(text);
      if (stick) pre.scrollTop = pre.scrollHeight;
    };
    let received = false;
    const close = api.follow(`${ctx.path}/builds/${build.id}/log?follow=true`, (m) => {
      received = true;
      if (typeof m.text === 'string') write(m.text);
      if (m.done) {
        state.textContent = `The build ${m.state || 'ended'}.`;
        loadBuilds();
        loadReleases();
      } else {
        state.textContent = 'Following the build\'s output…';
      }
    }, {
      onEnd: () => { if (!/ended|succeeded|failed|cancelled/.test(state.textContent)) state.textContent = 'End of the log.'; },
      onError: () => {
        if (received) return;
        close();
        pollLog(build, write, state);
      },
    });
    closeLog = close;
  }

  async function pollLog(build, write, state) {
    const id = build.id;
    let offset = 0;
    let stop = false;
    closeLog = () => { stop = true; };
    while (!stop && !stopped && shownBuild === id) {
      try {
        const answer = await api.get(`${ctx.path}/builds/${id}/log?offset=${offset}&wait=20`);
        if (stop || stopped) return;
        if (answer.log) write(answer.log);
        offset = answer.offset;
        if (answer.finished) {
          state.textContent = `The build ${answer.build ? answer.build.state : 'ended'}.`;
          return;
        }
        state.textContent = 'Following the build\'s output…';
      } catch (e) {
        state.textContent = e.message;
        return;
      }
    }
  }

  function drawReleases(releases) {
    const rows = releases.map((r) => h('tr', {dataset: {release: r.number}},
      h('td', {dataset: {label: 'Release'}}, h('strong', {}, `#${r.number}`), r.current ? [' ', colourBadge('green', 'running')] : null),
      h('td', {dataset: {label: 'Kind'}}, r.kind, r.source ? h('span', {class: 'muted'}, ` from ${r.source}`) : null),
      h('td', {dataset: {label: 'Commit'}}, h('code', {title: r.commit}, (r.commit || '').slice(0, 12))),
      h('td', {dataset: {label: 'Made'}}, timeElement(r.created_at), r.created_by ? h('span', {class: 'muted'}, ` by ${r.created_by}`) : null),
      h('td', {class: 'dep-row-actions'},
        r.current ? null : h('button', {type: 'button', class: 'button small', 'aria-label': `Roll back to release ${r.number}`,
          onclick: () => rollback(r)}, 'Roll back to this'),
        // Development deployments neither promote nor take promotions.
        ctx.deployment && ctx.deployment.stage_kind === 'dev' ? null
          : h('button', {type: 'button', class: 'button small', 'aria-label': `Promote release ${r.number}`,
            onclick: () => promote(r)}, 'Promote'))));
    keepFocus(releasesBox, () => replace(releasesBox,
      h('h2', {id: 'bl-releases'}, 'Releases'),
      releases.length === 0 ? h('p', {class: 'muted'}, 'No releases yet: the first successful build makes one.')
        : h('table', {class: 'dep-table stacked'},
          h('thead', {}, h('tr', {}, ['Release', 'Kind', 'Commit', 'Made', h('span', {class: 'visually-hidden'}, 'Actions')]
            .map((c) => h('th', {scope: 'col'}, c)))),
          h('tbody', {}, rows))));
  }

  async function rollback(r) {
    const ok = await openDialog({
      title: `Roll back to release ${r.number}?`,
      body: h('p', {}, `Release ${r.number} (commit ${(r.commit || '').slice(0, 12)}) runs again as a new release, without building. `
        + 'The branch is still followed: the next push rolls forward.'),
      actions: [{label: 'Cancel', value: false}, {label: 'Roll back', kind: 'primary', value: true}],
    });
    if (!ok) return;
    try {
      await api.post(`${ctx.path}/rollback`, {release: r.number});
      toast(`Rolling back to release ${r.number}`, 'success');
      loadReleases();
      ctx.refresh().catch(() => {});
    } catch (e) {
      toast(e.message, 'error');
    }
  }

  // Promotion runs this release in another deployment of the project: the target's route
  // (POST …/{target}/promote) with this deployment as `from`.
  async function promote(r) {
    let targets = [];
    try {
      const answer = await api.get(`/projects/${encodeURIComponent(ctx.project)}/deployments`);
      targets = (answer.deployments || []).filter((d) => d.name !== ctx.name && d.stage_kind !== 'dev');
    } catch (e) {
      toast(e.message, 'error');
      return;
    }
    if (targets.length === 0) {
      await openDialog({title: 'Promote', body: h('p', {}, 'The project has no other built deployment to promote to.'),
        actions: [{label: 'Close'}]});
      return;
    }
    const target = field('To deployment', 'select', {options: targets.map((d) => ({value: d.name, label: `${d.name} (${d.stage})`}))});
    const message = h('div', {'aria-live': 'polite'});
    await openDialog({
      title: `Promote release ${r.number}`,
      body: h('div', {class: 'stack'}, h('p', {}, `The chosen deployment runs release ${r.number} of ${ctx.name} (its images), without building.`),
        target.field, message),
      actions: [{label: 'Cancel', value: false}, {label: 'Promote', kind: 'primary', onclick: async () => {
        try {
          await api.post(`${deploymentPath(ctx.project, target.input.value)}/promote`, {from: ctx.name, release: r.number});
          toast(`${target.input.value} is taking release ${r.number} of ${ctx.name}`, 'success');
          return true;
        } catch (e) {
          replace(message, errorBox(e));
          return false;
        }
      }}],
    });
  }

  loadBuilds();
  loadReleases();
  // The elapsed times of running builds move every second.
  tick = setInterval(() => {
    for (const cell of buildsBox.querySelectorAll('.dep-progress-cell')) {
      const b = builds.find((x) => String(x.id) === cell.dataset.build);
      if (b && b.state === 'running') replace(cell, progressOf(b));
    }
  }, 1000);
  const unsubscribe = ctx.subscribe(() => {
    const b = ctx.deployment && ctx.deployment.status && ctx.deployment.status.build;
    if (b && !builds.some((x) => x.id === b.id && x.state === b.state)) loadBuilds();
  });
  return () => {
    stopped = true;
    clearTimeout(timer);
    clearInterval(tick);
    unsubscribe();
    if (closeLog) closeLog();
  };
}
