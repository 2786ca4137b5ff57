# Summary of a per-tile trace written by a -DLITEATTN_TRACE build (trace.patch): where each
# consumer warpgroup's time goes per tile, the key-tile loop fitted as a + b * key tiles,
# and how much the CTAs' end times spread (the tail). Cycle counts are SM clocks; ns
# figures assume 1.755 GHz (only the tail ratio uses them, and it does not depend on it).
#   python3 trace_analysis.py c_s25.bin.gz ...
import gzip
import numpy as np, sys
def load(p):
    raw=(gzip.open if p.endswith('.gz') else open)(p,'rb').read()
    hdr=np.frombuffer(raw[:16],dtype=np.int32); grid,iters,mb,ntk=hdr
    a=np.frombuffer(raw[16:],dtype=np.uint64).reshape(grid,iters,4,8).astype(np.int64)
    return a,grid,iters
for p in sys.argv[1:]:
    a,grid,iters=load(p)
    prod=a[:,:,0,:]; 
    ntiles=(prod[:,:,5]>0).sum(1)  # tiles per CTA (computed>0)
    # consumer wg roles 1..3 (or 1..2)
    roles=[r for r in (1,2,3) if a[:,:,r,0].any()]
    print(p, 'grid',grid,'roles',roles,'tiles/cta mean',ntiles.mean(), 'min',ntiles.min(),'max',ntiles.max())
    # global timeline: consumer ev7 globaltimer at tile start
    gt=a[:,:,1,7]
    t0=gt[gt>0].min()
    # per CTA kernel span in cycles: first tile start to last ev5
    tot={k:0 for k in ['qwait','kwait','turnwait','loop','finish','recv','between']}
    loops=[];ks=[]
    for c in range(grid):
        n=ntiles[c]
        for w in roles:
            e=a[c,:n,w,:]
            for t in range(n):
                tot['qwait']+=e[t,1]-e[t,0]
                if e[t,2]>0:
                    tot['kwait']+=e[t,2]-e[t,1]; tot['turnwait']+=e[t,3]-e[t,2]; tot['loop']+=e[t,4]-e[t,3]
                    loops.append((e[t,4]-e[t,3])); ks.append(prod[c,t,5])
                else:
                    tot['loop']+=e[t,4]-e[t,1]
                tot['finish']+=e[t,5]-e[t,4]; tot['recv']+=e[t,6]-e[t,5]
                if t+1<n: tot['between']+=e[t+1,0]-e[t,6]
    S=sum(tot.values())
    print('  share of consumer time: '+', '.join(f'{k} {v/S*100:.1f}%' for k,v in tot.items()))
    loops=np.array(loops,float); ks=np.array(ks,float)
    A=np.vstack([ks,np.ones_like(ks)]).T
    coef=np.linalg.lstsq(A,loops,rcond=None)[0]
    print(f'  loop cycles = {coef[0]:.0f} * keytiles + {coef[1]:.0f}; mean keytiles {ks.mean():.1f}')
    # per-tile overhead outside loop in cycles, per wg
    per_tile=(S-tot['loop'])/ (ntiles.sum()*len(roles))
    print(f'  outside-loop cycles per tile per wg {per_tile:.0f}; loop per tile {tot["loop"]/(ntiles.sum()*len(roles)):.0f}')
    # end-of-kernel tail via globaltimer: last tile start per cta + its duration estimate
    ends=[]
    for c in range(grid):
        n=ntiles[c]
        # cycles from start of first tile to end (ev6 of last) for wg1
        e=a[c,:n,1,:]
        ends.append(gt[c,0]-t0 + (e[n-1,6]-e[0,0])/1.755)  # ns assuming 1.755GHz
    ends=np.array(ends)
    print(f'  cta end (ns est): max {ends.max():.0f} mean {ends.mean():.0f} min {ends.min():.0f} -> tail loss {(1-ends.mean()/ends.max())*100:.1f}%')
    starts=gt[:,0]-t0
    print(f'  cta first-tile start spread ns: max {starts.max()} mean {starts.mean():.0f}')
    # producer: Q wait (ev1-ev0), time from q issue to consumer q_full
    pq=(prod[:,:,1]-prod[:,:,0]); 
    print(f'  producer q_empty wait mean cycles {pq[prod[:,:,5]>0].mean():.0f}')
