# Side-by-side table of gpu_trees.sh cbench logs: median ms (eff) per tree and row.
#   python3 cbench_table.py cbench_a.log ...
import sys
def load(path):
    rows={}; order=[]; name=None
    for line in open(path):
        if line.startswith('====='):
            name=line.split()[1].rstrip(':')
            if name in order: name=name+'#2'
            order.append(name); continue
        f=line.split()
        if len(f)>12 and f[0]=='1':
            rows.setdefault((f[3],f[7],f[8]),{})[name]=(float(f[12]), f[-1])
    return rows, order
for path in sys.argv[1:]:
    rows,order=load(path)
    print(path); print('shape mask f   '+' '.join(f'{n:>16}' for n in order))
    for k,v in rows.items():
        print(' '.join(k), ' '.join(f'{v[n][0]:9.3f} ({v[n][1]:>5})' for n in order if n in v))
