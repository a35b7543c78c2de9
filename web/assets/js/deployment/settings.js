// The settings tab: enable or disable (for how long), size, branch and auto-deploy, clone
// with its progress, and delete with a typed confirmation.

import {h, replace, field, uid} from '../dom.js';
import {api, projectPath, deploymentPath} from '../api.js';
import {errorBox, formatBytes, openDialog, timeElement, toast} from '../ui.js';
import {navigate} from '../router.js';
import {keepFocus, deploymentUrl, whenChanged} from './util.js';

const SIZES = [
  {value: 'small', label: 'small (0.5 CPU · 512 MiB)'},
  {value: 'medium', label: 'medium (1 CPU · 1 GiB)'},
  {value: 'large', label: 'large (2 CPUs · 4 GiB)'},
  {value: 'xlarge', label: 'xlarge (4 CPUs · 8 GiB)'},
  {value: 'unlimited', label: 'unlimited (no limits)'},
];
const DURATIONS = [
  {value: '', label: 'The stage\'s default'},
  {value: '1h', label: '1 hour'},
  {value: '8h', label: '8 hours'},
  {value: '24h', label: '24 hours'},
  {value: '7d', label: '7 days'},
  {value: 'never', label: 'Until stopped'},
];

function sizeText(size) {
  if (!size) return '—';
  const parts = [];
  parts.push(size.cpus != null ? `${size.cpus} CPU` : 'no CPU limit');
  parts.push(size.memory_bytes != null ? formatBytes(size.memory_bytes) : 'no memory limit');
  return `${size.name} (${size.description || parts.join(' · ')})`;
}

export function renderSettings(panel, ctx) {
  const notice = h('div', {class: 'dep-notice', role: 'status', 'aria-live': 'polite'});
  const runBox = h('section', {class: 'card dep-section', 'aria-labelledby': 'st-run'});
  const sizeBox = h('section', {class: 'card dep-section', 'aria-labelledby': 'st-size'});
  const branchBox = h('section', {class: 'card dep-section', 'aria-labelledby': 'st-branch'});
  const cloneBox = h('section', {class: 'card dep-section', 'aria-labelledby': 'st-clone'});
  const deleteBox = h('section', {class: 'card dep-section dep-danger', 'aria-labelledby': 'st-delete'});
  replace(panel, h('div', {class: 'dep-settings'}, notice, runBox, sizeBox, branchBox, cloneBox, deleteBox));

  let stopped = false;
  let branches = null;
  let cloneTimer = null;

  function say(text, kind = 'success') {
    replace(notice, h('p', {}, text));
    toast(text, kind);
  }

  // --- Enable / disable ------------------------------------------------------------------
  const duration = field('Duration', 'select', {options: DURATIONS, value: ''},
    'How long it runs once enabled; then it stops by itself.');
  function drawRun() {
    const d = ctx.deployment || {};
    const running = d.desired === 'running';
    keepFocus(runBox, () => replace(runBox,
      h('h2', {id: 'st-run'}, 'Enabled'),
      h('p', {}, running
        ? (d.stop_at ? ['Enabled; it stops by itself ', timeElement(d.stop_at), '.'] : 'Enabled; it runs until stopped.')
        : ['Disabled: nothing runs, its storage stays.', d.stop_at ? [' It stopped by itself ', timeElement(d.stop_at), '.'] : '']),
      h('div', {class: 'dep-form-row'},
        duration.field,
        h('button', {type: 'button', class: 'button primary', onclick: enable}, 'Enable'),
        h('button', {type: 'button', class: 'button', onclick: disable}, 'Disable'))));
  }
  async function enable() {
    const body = duration.input.value ? {for: duration.input.value} : {};
    try {
      await api.post(`${ctx.path}/enable`, body);
      say(duration.input.value && duration.input.value !== 'never'
        ? `Enabled for ${duration.input.selectedOptions[0].textContent}` : 'Enabled');
      ctx.refresh().catch(() => {});
    } catch (e) {
      say(e.message, 'error');
    }
  }
  async function disable() {
    try {
      await api.post(`${ctx.path}/disable`, {});
      say('Disabled: the containers stop; the storage stays');
      ctx.refresh().catch(() => {});
    } catch (e) {
      say(e.message, 'error');
    }
  }

  // --- Size -------------------------------------------------------------------------------
  const size = field('Size', 'select', {options: SIZES}, 'Limits for each container of the deployment.');
  function drawSize() {
    const d = ctx.deployment || {};
    if (document.activeElement !== size.input && d.size && SIZES.some((s) => s.value === d.size.name) && !size.input.dataset.touched) {
      size.input.value = d.size.name;
    }
    keepFocus(sizeBox, () => replace(sizeBox,
      h('h2', {id: 'st-size'}, 'Size'),
      h('p', {}, 'Now: ', h('strong', {}, sizeText(d.size)), '. Containers are replaced to take a new size; volumes stay.'),
      h('div', {class: 'dep-form-row'}, size.field,
        h('button', {type: 'button', class: 'button', onclick: changeSize}, 'Change size'))));
  }
  size.input.addEventListener('change', () => { size.input.dataset.touched = 'true'; });
  async function changeSize() {
    try {
      await api.patch(ctx.path, {size: {name: size.input.value}});
      delete size.input.dataset.touched;
      say(`The size is now ${size.input.value}; containers are being replaced`);
      ctx.refresh().catch(() => {});
    } catch (e) {
      say(e.message, 'error');
    }
  }

  // --- Branch and auto-deploy -------------------------------------------------------------
  function drawBranch() {
    const d = ctx.deployment || {};
    const dev = d.stage_kind === 'dev';
    const names = branches ? branches.map((b) => b.name) : [d.branch];
    if (d.branch && !names.includes(d.branch)) names.unshift(d.branch);
    const branch = field('Branch', 'select', {options: names, value: d.branch, disabled: dev},
      dev ? 'A development deployment keeps its branch: switch branches in its code volume.'
        : 'A new branch is built from its head and rolled out.');
    const autoId = uid('auto');
    const auto = h('input', {type: 'checkbox', id: autoId, checked: Boolean(d.auto_deploy)});
    const message = h('div', {'aria-live': 'polite'});
    if (branchBox.contains(document.activeElement)) return; // do not rebuild under the user's hands
    replace(branchBox,
      h('h2', {id: 'st-branch'}, 'Branch and auto-deploy'),
      h('form', {class: 'dep-stack-form', onsubmit: async (event) => {
        event.preventDefault();
        const body = {};
        if (!dev && branch.input.value !== d.branch) body.branch = branch.input.value;
        if (auto.checked !== Boolean(d.auto_deploy)) body.auto_deploy = auto.checked;
        if (Object.keys(body).length === 0) {
          replace(message, h('p', {class: 'muted'}, 'Nothing changed.'));
          return;
        }
        try {
          await api.patch(ctx.path, body);
          replace(message);
          say(body.branch ? `Now following ${body.branch}` : `Auto-deploy is ${auto.checked ? 'on' : 'off'}`);
          await ctx.refresh();
          drawBranch();
        } catch (e) {
          replace(message, errorBox(e));
        }
      }},
      branch.field,
      h('div', {class: 'field check'}, auto, h('label', {for: autoId}, 'Deploy every push to the branch')),
      h('button', {type: 'submit', class: 'button'}, 'Save branch settings'),
      message));
  }
  api.get(projectPath(ctx.project)).then((p) => {
    branches = p.branches || [];
    if (!stopped) redrawBranch();
  }).catch(() => {});

  // --- Clone ------------------------------------------------------------------------------
  const cloneProgress = h('div', {class: 'dep-clone-progress', 'aria-live': 'polite'});
  function drawClone() {
    replace(cloneBox,
      h('div', {class: 'dep-section-head'},
        h('h2', {id: 'st-clone'}, 'Clone'),
        h('button', {type: 'button', class: 'button', onclick: cloneDialog}, 'Clone')),
      h('p', {class: 'muted'}, 'A new deployment with this one\'s configuration and a consistent copy of its data. '
        + 'Custom domains are not copied.'),
      cloneProgress);
  }

  async function cloneDialog() {
    const d = ctx.deployment || {};
    const name = field('Name', 'input', {type: 'text', autocomplete: 'off', spellcheck: 'false', required: true,
      value: `${ctx.name}-copy`}, 'Lowercase letters, digits and -.');
    // The stack's stages at the head of the branch this deployment follows (the project's
    // view lists them); this one's stage and the three of a manifest without `stages:` if
    // the project cannot be read. The server checks either way.
    let stages = [];
    try {
      const project = await api.get(projectPath(ctx.project));
      const branch = (project.branches || []).find((b) => b.name === d.branch);
      stages = ((branch && branch.manifest && branch.manifest.stages) || []).map((x) => x.name);
    } catch { /* the defaults will do */ }
    if (!stages.length) stages = ['development', 'staging', 'production'];
    const known = [...new Set([d.stage, ...stages].filter(Boolean))];
    const stage = field('Stage', 'select', {options: known, value: d.stage || known[0]},
      'A stage of the same stack; a production copy as a development deployment gets production\'s data.');
    const cloneSize = field('Size', 'select', {options: [{value: '', label: `Same as this one (${d.size ? d.size.name : '—'})`}, ...SIZES]});
    const message = h('div', {'aria-live': 'polite'});
    await openDialog({
      title: `Clone ${ctx.name}`,
      body: h('div', {class: 'stack'}, name.field, stage.field, cloneSize.field, message),
      actions: [
        {label: 'Cancel', value: false},
        {label: 'Start clone', kind: 'primary', onclick: async () => {
          const body = {name: name.input.value.trim()};
          if (stage.input.value && stage.input.value !== d.stage) body.stage = stage.input.value;
          if (cloneSize.input.value) body.size = {name: cloneSize.input.value};
          if (!body.name) {
            replace(message, errorBox('Give the clone a name.'));
            return false;
          }
          try {
            const answer = await api.post(`${ctx.path}/clone`, body);
            const target = (answer && answer.name) || body.name;
            startProgress(target, answer && answer.clone);
            return true;
          } catch (e) {
            replace(message, errorBox(e));
            return false;
          }
        }},
      ],
    });
  }

  function startProgress(target, first) {
    clearTimeout(cloneTimer);
    const bar = h('progress', {max: '100', 'aria-label': `Copying the data into ${target}`});
    const text = h('p', {});
    const link = h('p', {});
    replace(cloneProgress, h('div', {class: 'dep-clone', dataset: {testid: 'clone-progress', state: 'copying', deployment: target}},
      h('h3', {}, `Clone ${target}`), bar, text, link));
    const box = cloneProgress.firstElementChild;
    const show = (c) => {
      if (!c) return;
      box.dataset.state = c.state;
      if (c.percent != null) bar.value = c.percent;
      if (c.state === 'copying') {
        text.textContent = `Copying: ${formatBytes(c.bytes_done)} of ${formatBytes(c.bytes_total)} (${Math.round(c.percent || 0)} %)`;
      } else if (c.state === 'done') {
        bar.value = 100;
        text.textContent = `Copied ${formatBytes(c.bytes_done)}${c.seconds != null ? ` in ${c.seconds.toFixed(1)} s` : ''}`
          + `${c.reflinks ? ' (shared blocks: reflinks)' : ''}. The clone now builds and starts.`;
        replace(link, h('a', {href: deploymentUrl(ctx.project, target)}, `Open ${target}`));
      } else if (c.state === 'failed') {
        text.textContent = `The clone failed and was removed: ${c.error || 'no reason given'}`;
      }
    };
    show(first);
    const poll = async () => {
      try {
        const c = await api.get(`${deploymentPath(ctx.project, target)}/clone`);
        if (stopped) return;
        show(c);
        if (c.state === 'copying') cloneTimer = setTimeout(poll, 1000);
        else say(c.state === 'done' ? `${target} was cloned from ${ctx.name}` : `The clone ${target} failed`, c.state === 'done' ? 'success' : 'error');
      } catch (e) {
        if (!stopped) text.textContent = e.message;
      }
    };
    cloneTimer = setTimeout(poll, first && first.state !== 'copying' ? 0 : 500);
  }

  // --- Delete -----------------------------------------------------------------------------
  function drawDelete() {
    replace(deleteBox,
      h('h2', {id: 'st-delete'}, 'Delete'),
      h('p', {}, 'Stops and removes the containers, routes and custom domains. The volumes go to the project\'s trash, '
        + 'from which the deployment can be restored until they are purged.'),
      h('button', {type: 'button', class: 'button danger', onclick: deleteDialog}, 'Delete deployment'));
  }

  async function deleteDialog() {
    const confirmField = field('Type the deployment\'s name to confirm', 'input', {type: 'text', autocomplete: 'off',
      spellcheck: 'false'}, `Type ${ctx.name}.`);
    const message = h('div', {'aria-live': 'polite'});
    const actions = [
      {label: 'Cancel', value: false},
      {label: 'Delete', kind: 'danger', disabled: true,
        isDisabled: () => confirmField.input.value !== ctx.name,
        onclick: async () => {
          if (confirmField.input.value !== ctx.name) return false;
          try {
            await api.del(ctx.path);
            return true;
          } catch (e) {
            replace(message, errorBox(e));
            return false;
          }
        }},
    ];
    confirmField.input.addEventListener('input', () => {
      actions[1].button.disabled = confirmField.input.value !== ctx.name;
    });
    const result = await openDialog({
      title: `Delete ${ctx.name}?`,
      body: h('div', {class: 'stack'}, h('p', {}, `This deletes ${ctx.project}/${ctx.name}. Its data goes to the trash.`), confirmField.field, message),
      actions,
    });
    if (result === 'Delete') {
      toast(`${ctx.name} is being deleted; its data is in the trash`, 'success');
      navigate(projectPath(ctx.project));
    }
  }

  const dep = () => ctx.deployment || {};
  const redrawRun = whenChanged(() => [dep().desired, dep().stop_at], drawRun);
  const redrawSize = whenChanged(() => dep().size, drawSize);
  const redrawBranch = whenChanged(() => [dep().branch, dep().auto_deploy, dep().stage_kind, branches && branches.length], drawBranch);
  function drawAll() {
    redrawRun();
    redrawSize();
    redrawBranch();
  }
  drawAll();
  drawClone();
  drawDelete();
  const unsubscribe = ctx.subscribe(drawAll);
  return () => {
    stopped = true;
    clearTimeout(cloneTimer);
    unsubscribe();
  };
}
