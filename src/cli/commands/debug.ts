/** `distill debug image|attach|kubectl`: ways into a shell-less image without rebuilding it. */
import { Option, type Command } from 'commander';
import { openImage, writeImage } from '../../oci/reference.ts';
import { attach, DEBUG_LABEL, debugImage, kubectlDebugLine } from '../../runtime/debug.ts';
import type { Engine } from '../../runtime/engine.ts';
import { printJson, type CommonOptions } from '../output.ts';

interface ImageCliOptions extends CommonOptions {
  output: string;
  platform?: string;
  mirror?: string;
}

interface AttachCliOptions extends CommonOptions {
  engine?: Engine;
  image?: string;
  tty?: boolean;
}

interface KubectlCliOptions extends CommonOptions {
  container?: string;
  namespace?: string;
  image?: string;
  profile?: string;
}

/** Registers `distill debug` and its subcommands. */
export function register(program: Command): void {
  const debug = program
    .command('debug')
    .description('get into a distroless image: a debug variant with busybox, a busybox sidecar, or the kubectl debug line');

  debug
    .command('image')
    .description('write a debug variant: the image plus busybox at /busybox (on PATH), entrypoint and cmd kept, nothing rebuilt')
    .argument('<image>', 'image reference (oci:DIR[:TAG], oci-archive:FILE, docker-archive:FILE, podman:NAME, …)')
    .requiredOption('-o, --output <ref>', 'where to write the variant (oci:DIR:TAG, podman:NAME, …)')
    .option('--mirror <url>', 'Debian mirror for busybox-static (default: the system\'s apt sources)')
    .option('--platform <os/arch>', 'platform to pick from a multi-platform image (default linux/amd64)')
    .option('--json', 'print the result as JSON')
    .option('-q, --quiet', 'print nothing but errors')
    .addHelpText('after', `
Example:
  distill debug image oci:out:nonroot -o podman:myapp-debug
  podman run -it --entrypoint /busybox/sh myapp-debug`)
    .action(async (ref: string, opts: ImageCliOptions) => {
      const image = await openImage(ref, { platform: opts.platform });
      const out = await debugImage(image, { archive: opts.mirror ? { mirror: opts.mirror } : undefined, progress: !opts.quiet && !opts.json && Boolean(process.stderr.isTTY) });
      await writeImage(out, opts.output);
      const digest = await out.digest();
      if (opts.json) printJson({ reference: ref, output: opts.output, digest, shell: '/busybox/sh', label: DEBUG_LABEL });
      else if (!opts.quiet) process.stdout.write(`wrote ${opts.output} (${digest.slice(0, 19)}): ${ref} plus busybox at /busybox; shell: --entrypoint /busybox/sh\n`);
    });

  debug
    .command('attach')
    .description('start a busybox sidecar in a running container\'s pid and network namespaces; its files are under /proc/1/root')
    .argument('<container>', 'running container (name or id) in podman or docker')
    .argument('[command...]', 'command to run instead of an interactive shell, after --')
    .addOption(new Option('--engine <engine>', 'container engine (default: podman, else docker)').choices(['podman', 'docker']))
    .option('--image <name>', 'sidecar image (default: distill\'s busybox image, built and loaded when missing)')
    .option('--no-tty', 'do not allocate a terminal')
    .addHelpText('after', `
The sidecar runs as root with SYS_PTRACE so it can read the target's files through
/proc/1/root (the target's pid 1) whatever uid the target runs as.

Examples:
  distill debug attach web                         # interactive busybox shell
  distill debug attach web -- cat /proc/1/root/etc/os-release
  distill debug attach web -- ps`)
    .action(async (container: string, command: string[], opts: AttachCliOptions) => {
      const code = await attach(container, { engine: opts.engine, image: opts.image, command: command.length ? command : undefined, ...(opts.tty === false ? { tty: false } : {}) });
      process.exitCode = code;
    });

  debug
    .command('kubectl')
    .description('print the kubectl debug line that attaches an ephemeral busybox container to a pod')
    .argument('<pod>', 'pod name')
    .option('-c, --container <name>', 'target container (its process namespace is shared)')
    .option('-n, --namespace <ns>', 'namespace')
    .option('--image <image>', 'debug image', 'busybox')
    .option('--profile <profile>', 'kubectl debug --profile (general, restricted, …)')
    .option('--json', 'print the line as JSON')
    .option('-q, --quiet', 'print only the command')
    .action((pod: string, opts: KubectlCliOptions) => {
      const line = kubectlDebugLine(pod, opts);
      if (opts.json) return printJson({ command: line });
      process.stdout.write(line + '\n');
      if (!opts.quiet) process.stdout.write(`# in the debug container the target's files are under /proc/1/root${opts.container ? '' : ' (with --container)'}\n`);
    });
}
