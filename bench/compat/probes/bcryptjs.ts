import bcrypt from 'bcryptjs';

export default async function probe() {
  const salt = '$2b$06$abcdefghijklmnopqrstuu';
  const hash = bcrypt.hashSync('correct horse', salt);
  const random = await bcrypt.hash('battery staple', 4);
  return {
    hash,
    match: bcrypt.compareSync('correct horse', hash),
    wrong: bcrypt.compareSync('wrong', hash),
    asyncMatch: await bcrypt.compare('battery staple', random),
    rounds: bcrypt.getRounds(random),
    saltLength: bcrypt.genSaltSync(5).length,
  };
}
